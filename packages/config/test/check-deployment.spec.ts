import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDeployment, type DeploymentAppSettings } from '../src/check/check-deployment.js';
import { kamalHealthCheckRequestPath } from '../src/check/kamal-health-check-path.js';
import { readKamalDeployFile } from '../src/kamal.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A Kamal deploy file as the demo writes one; line numbers matter to the assertions below. */
const DEPLOY = `service: shop
image: acme/shop
servers:
  web:
    - 192.0.2.10
proxy:
  hosts:
    - shop.example.com
    - admin.shop.example.com
  app_port: 3000
  ssl: true
  healthcheck:
    path: /up
    interval: 1
    timeout: 5
registry:
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
`;

function deployOf(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'upgate-check-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config/deploy.yml'), yaml);
  return readKamalDeployFile('config/deploy.yml', { cwd: dir });
}

function variant(from: string, to: string): string {
  if (!DEPLOY.includes(from)) throw new Error(`fixture has no ${JSON.stringify(from)}`);
  return DEPLOY.replace(from, to);
}

const APP: DeploymentAppSettings = {
  allowedHosts: ['shop.example.com', 'admin.shop.example.com'],
  probePaths: ['/up'],
  trustProxy: false,
  port: 3000,
  probeTimeoutMs: 3000,
};

describe('checkDeployment: a consistent deployment', () => {
  it('finds nothing when the app answers the health-check path, allows every proxy host, listens on app_port and answers within the timeout', () => {
    expect(checkDeployment(deployOf(DEPLOY), APP)).toEqual([]);
  });

  it('accepts an allowlist wider than the proxy hosts, and extra probe paths', () => {
    const app = { ...APP, allowedHosts: ['.shop.example.com'], probePaths: ['/up', '/ready'] };
    expect(checkDeployment(deployOf(DEPLOY), app)).toEqual([]);
  });
});

describe('checkDeployment: the health-check path', () => {
  it('reports a path the app does not answer as a probe, where it is written, and what kamal-proxy then gets', () => {
    const findings = checkDeployment(deployOf(variant('path: /up', 'path: /health')), APP);
    expect(findings).toEqual([
      {
        rule: 'probe-path',
        severity: 'error',
        key: 'proxy.healthcheck.path',
        location: { file: 'config/deploy.yml', line: 13 },
        message:
          "kamal-proxy checks proxy.healthcheck.path '/health', which is not a probe path of the app ('/up'), " +
          "so upgate applies the host check to it, and kamal-proxy's Host '<container-id>:3000' is not allowed: 400, and the deploy times out.",
        fix: "add '/health' to the app's probe paths (HEALTH_PROBE_PATHS), or set proxy.healthcheck.path to one of them ('/up')",
      },
    ]);
  });

  it("compares Kamal's default /up when the path is not written, and says so", () => {
    const findings = checkDeployment(deployOf(variant('    path: /up\n', '')), {
      ...APP,
      probePaths: ['/health'],
      sources: { probePaths: 'HEALTH_PROBE_PATHS (environment)' },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).not.toHaveProperty('location');
    expect(findings[0]?.message).toBe(
      "kamal-proxy checks its default '/up' (proxy.healthcheck.path is not set), which is not a probe path of the app " +
        "('/health', from HEALTH_PROBE_PATHS (environment)), so upgate applies the host check to it, and kamal-proxy's Host '<container-id>:3000' is not allowed: 400, and the deploy times out.",
    );
  });

  it('names the near miss when the paths differ only by a trailing slash or case', () => {
    const [finding] = checkDeployment(deployOf(variant('path: /up', 'path: /up/')), APP);
    expect(finding?.message).toContain(
      "kamal-proxy checks proxy.healthcheck.path '/up/', which is not a probe path of the app ('/up')",
    );
    expect(finding?.message).toMatch(
      /It is not the probe '\/up': probe paths match exactly, with no trailing-slash or case folding\.$/,
    );
  });

  it('compares the path kamal-proxy really requests (cleaned and escaped by Go), not the text written', () => {
    expect(checkDeployment(deployOf(variant('path: /up', 'path: //up')), APP)).toEqual([]);
    const [finding] = checkDeployment(deployOf(variant('path: /up', 'path: "/up?full=1"')), APP);
    expect(finding?.message).toContain(
      "kamal-proxy checks proxy.healthcheck.path '/up?full=1' and requests it as '/up%3Ffull=1' (Go's url.JoinPath cleans and escapes the path), which is not a probe path",
    );
  });

  it('says that a query in the path never reaches the app, and gives the fix that passes: the path alone', () => {
    const withQuery = deployOf(variant('path: /up', 'path: "/up?full=1"'));
    const [finding, ...more] = checkDeployment(withQuery, {
      ...APP,
      changeAt: { probePaths: 'the probePaths option' },
    });
    expect(more).toEqual([]);
    expect(finding).toEqual({
      rule: 'probe-path',
      severity: 'error',
      key: 'proxy.healthcheck.path',
      location: { file: 'config/deploy.yml', line: 13 },
      message:
        "kamal-proxy checks proxy.healthcheck.path '/up?full=1' and requests it as '/up%3Ffull=1' (Go's url.JoinPath cleans and escapes the path), " +
        "which is not a probe path of the app ('/up'), so upgate applies the host check to it, and kamal-proxy's Host '<container-id>:3000' is not allowed: 400, and the deploy times out. " +
        "No query reaches the app: Go escapes the '?' into the path.",
      fix: "write proxy.healthcheck.path without the query: '/up', a probe path of the app",
    });
    // The fix, applied, passes; the path before '?' would not have been the probe kamal-proxy requests.
    expect(checkDeployment(deployOf(variant('path: /up', 'path: "/up"')), APP)).toEqual([]);

    const elsewhere = checkDeployment(deployOf(variant('path: /up', 'path: "/health#x"')), {
      ...APP,
      probePaths: ['/up', '/ready'],
      changeAt: { probePaths: 'the probePaths option' },
    });
    expect(elsewhere.map((f) => f.fix)).toEqual([
      "write proxy.healthcheck.path without the fragment: '/health', and make it a probe path of the app (the probePaths option); or one of the app's probe paths ('/up', '/ready')",
    ]);
    expect(elsewhere[0]?.message).toMatch(
      /requests it as '\/health%23x' .* No fragment reaches the app: Go escapes the '#' into the path\.$/,
    );
    expect(
      checkDeployment(deployOf(variant('path: /up', 'path: "/health"')), { ...APP, probePaths: ['/up', '/health'] }),
    ).toEqual([]);
  });

  it("reports a redirect of the app's own code only where the probe reaches that code (the allowlist lets the container's Host in)", () => {
    const deploy = deployOf(variant('path: /up', 'path: /status/'));
    const strict = checkDeployment(deploy, { ...APP, redirects: { https: true, trailingSlash: 'strip' } });
    expect(strict.map((f) => f.rule)).toEqual(['probe-path']);

    const open = checkDeployment(deploy, {
      ...APP,
      allowedHosts: ['*'],
      redirects: { https: true, trailingSlash: 'strip' },
    });
    expect(open.map((f) => [f.rule, f.severity, f.location?.line])).toEqual([
      ['probe-path', 'error', 13],
      ['probe-redirect', 'error', 13],
      ['probe-redirect', 'error', 13],
    ]);
    expect(open[0]?.message).toContain("so upgate does not answer it and the request goes to the app's routes");
    expect(open[1]?.message).toBe(
      "the app redirects plain HTTP to https://, and kamal-proxy's probe of '/status/' reaches the app's code: kamal-proxy follows the redirect " +
        'to https://<container-id>:3000/status/, where the app speaks plain HTTP, and the check fails',
    );
    expect(open[2]?.message).toBe(
      "the app redirects '/status/' to '/status' (trailing slash removed); kamal-proxy follows the redirect, so its check depends on what the app's routes answer there, not on a probe",
    );
    expect(open[2]?.fix).toBe("set proxy.healthcheck.path to '/status' and make it a probe path of the app");
  });

  it('reports no redirect for a path upgate answers as a probe: it answers before any app code', () => {
    expect(
      checkDeployment(deployOf(DEPLOY), {
        ...APP,
        allowedHosts: ['*'],
        redirects: { https: true, trailingSlash: 'add' },
      }),
    ).toEqual([]);
  });
});

describe('checkDeployment: hosts', () => {
  it('reports each proxy host the allowlist rejects, at its own line', () => {
    const findings = checkDeployment(deployOf(DEPLOY), {
      ...APP,
      allowedHosts: ['shop.example.com'],
      sources: { allowedHosts: '--allowed-hosts' },
    });
    expect(findings).toEqual([
      {
        rule: 'host-not-allowed',
        severity: 'error',
        key: 'proxy.hosts[1]',
        location: { file: 'config/deploy.yml', line: 9 },
        message:
          "kamal-proxy routes 'admin.shop.example.com' to the app, but the app's allowed hosts ('shop.example.com', from --allowed-hosts) do not allow it: every request for it gets 400",
        fix: "add 'admin.shop.example.com' to the app's allowed hosts (ALLOWED_HOSTS), or remove it from proxy.hosts",
      },
    ]);
  });

  it('checks a wildcard proxy host against a subdomain kamal-proxy would route', () => {
    const deploy = deployOf(
      variant('    - shop.example.com\n    - admin.shop.example.com\n', '    - "*.shop.example.com"\n'),
    );
    expect(checkDeployment(deploy, { ...APP, allowedHosts: ['.shop.example.com'] })).toEqual([]);
    const [finding] = checkDeployment(deploy, { ...APP, allowedHosts: ['shop.example.com'] });
    expect(finding?.message).toContain(
      "kamal-proxy routes '*.shop.example.com' (e.g. 'upgate-check.shop.example.com') to the app",
    );
    expect(finding?.fix).toBe(
      "add '.shop.example.com' to the app's allowed hosts (ALLOWED_HOSTS), or remove it from proxy.hosts",
    );
  });

  it('warns when the proxy routes every host (no host set)', () => {
    const deploy = deployOf(
      variant('  hosts:\n    - shop.example.com\n    - admin.shop.example.com\n', '').replace('  ssl: true\n', ''),
    );
    const findings = checkDeployment(deploy, APP);
    expect(findings.map((f) => [f.rule, f.severity, f.location?.line])).toEqual([['host-not-allowed', 'warning', 6]]);
    expect(findings[0]?.message).toMatch(
      /^proxy sets no host, so kamal-proxy forwards requests for every host not claimed by another app/,
    );
  });

  it('reports invalid allowlist entries instead of comparing with them', () => {
    const findings = checkDeployment(deployOf(DEPLOY), { ...APP, allowedHosts: ['https://shop.example.com/'] });
    expect(findings[0]).toEqual({
      rule: 'invalid-settings',
      severity: 'error',
      message: `the app's allowed hosts[0]: "https://shop.example.com/" is a URL; write the host alone: "shop.example.com"`,
      fix: 'correct the entry: the app refuses to start with it',
    });
    expect(findings.filter((f) => f.rule === 'host-not-allowed')).toEqual([]);
  });
});

describe('checkDeployment: app_port', () => {
  it('reports a port that differs', () => {
    expect(checkDeployment(deployOf(DEPLOY), { ...APP, port: 8080, sources: { port: 'PORT (environment)' } })).toEqual([
      {
        rule: 'app-port',
        severity: 'error',
        key: 'proxy.app_port',
        location: { file: 'config/deploy.yml', line: 10 },
        message:
          'kamal-proxy sends requests and probes to proxy.app_port 3000, but the app listens on 8080, from PORT (environment): nothing answers, and the deploy times out',
        fix: "set proxy.app_port to 8080, or the app's PORT to 3000",
      },
    ]);
  });

  it("compares Kamal's default 80 when app_port is not written", () => {
    const [finding] = checkDeployment(deployOf(variant('  app_port: 3000\n', '')), APP);
    expect(finding).not.toHaveProperty('location');
    expect(finding?.message).toBe(
      'kamal-proxy sends requests and probes to port 80, its default (proxy.app_port is not set), but the app listens on 3000: nothing answers, and the deploy times out',
    );
    expect(finding?.fix).toBe("set proxy.app_port: 3000 (kamal-proxy's default is 80)");
  });

  it('notes an unknown app port rather than guessing', () => {
    const findings = checkDeployment(deployOf(DEPLOY), { ...APP, port: undefined });
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['app-port', 'info']]);
  });
});

describe('checkDeployment: forwarded headers', () => {
  it('warns when ssl is on without forward_headers and the app trusts forwarded headers', () => {
    const findings = checkDeployment(deployOf(DEPLOY), { ...APP, trustProxy: ['private'] });
    expect(findings.map((f) => [f.rule, f.severity, f.key, f.location?.line])).toEqual([
      ['forwarded-headers', 'warning', 'proxy.ssl', 11],
    ]);
    expect(findings[0]?.message).toContain('The app trusts forwarded headers (trustProxy private)');
  });

  it('finds nothing with forward_headers: true, without ssl, or when the app trusts nothing', () => {
    expect(
      checkDeployment(deployOf(variant('  ssl: true\n', '  ssl: true\n  forward_headers: true\n')), {
        ...APP,
        trustProxy: true,
      }),
    ).toEqual([]);
    expect(checkDeployment(deployOf(variant('  ssl: true\n', '')), { ...APP, trustProxy: true })).toEqual([]);
    expect(checkDeployment(deployOf(DEPLOY), { ...APP, trustProxy: [] })).toEqual([]);
  });
});

describe('checkDeployment: health-check timeout and probe deadline', () => {
  it('reports a deadline not shorter than the timeout', () => {
    const findings = checkDeployment(deployOf(variant('timeout: 5', 'timeout: 3')), {
      ...APP,
      probeTimeoutMs: 3000,
      sources: { probeTimeoutMs: '--probe-timeout' },
    });
    expect(findings).toEqual([
      {
        rule: 'healthcheck-timeout',
        severity: 'error',
        key: 'proxy.healthcheck.timeout',
        location: { file: 'config/deploy.yml', line: 15 },
        message:
          "kamal-proxy gives up on a health check after 3 s (proxy.healthcheck.timeout), but the app lets a probe's checks run for up to 3000 ms, from --probe-timeout: " +
          'a probe the app would answer in time counts as a failure, and a slow check shows up as a timeout instead of a 503 saying which check failed',
        fix: "lower the app's probeTimeoutMs below 3000 (e.g. 2000), or raise proxy.healthcheck.timeout to 4",
      },
    ]);
    expect(checkDeployment(deployOf(variant('timeout: 5', 'timeout: 3')), { ...APP, probeTimeoutMs: 2999 })).toEqual(
      [],
    );
  });

  it("compares kamal-proxy's default 5 s when no timeout is written", () => {
    const [finding] = checkDeployment(deployOf(variant('    timeout: 5\n', '')), { ...APP, probeTimeoutMs: 6000 });
    expect(finding).not.toHaveProperty('location');
    expect(finding?.message).toMatch(
      /^kamal-proxy gives up on a health check after 5 s, its default \(proxy\.healthcheck\.timeout is not set\)/,
    );
  });
});

describe('checkDeployment: proxy: false', () => {
  it('reports only that there is no proxy to compare with', () => {
    const deploy = deployOf(variant('    - 192.0.2.10\n', '    hosts:\n      - 192.0.2.10\n    proxy: false\n'));
    expect(checkDeployment(deploy, { ...APP, port: 1 })).toEqual([
      {
        rule: 'proxy-disabled',
        severity: 'info',
        key: 'servers.web.proxy',
        location: { file: 'config/deploy.yml', line: 7 },
        message:
          "the primary role 'web' runs without kamal-proxy (proxy: false), so there is no health check, host routing or app_port to compare",
        fix: 'none needed if that is intended; otherwise remove proxy: false from the role',
      },
    ]);
  });
});

describe("kamalHealthCheckRequestPath: what Go's url.JoinPath makes of the configured path", () => {
  it.each([
    ['/up', '/up'],
    ['up', '/up'],
    ['//up', '/up'],
    ['/a/../up', '/up'],
    ['/up/.', '/up'],
    ['/up/', '/up/'],
    ['/up?full=1', '/up%3Ffull=1'],
    ['/up#x', '/up%23x'],
    ['/h p', '/h%20p'],
    ['/é', '/%C3%A9'],
    ['/%75p', '/%75p'],
  ])('%s -> %s', (configured, requested) => {
    expect(kamalHealthCheckRequestPath(configured)).toBe(requested);
  });

  it('gives undefined for an invalid escape (Go cannot build the URL)', () => {
    expect(kamalHealthCheckRequestPath('/%zz')).toBeUndefined();
  });
});
