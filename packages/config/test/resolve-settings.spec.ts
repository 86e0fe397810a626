/**
 * `resolveSettings`, the one place where sources are weighed: the origin of every value, nothing
 * overridden without a word, a bad value that is not used a warning, development that just works
 * with a deploy file, and every problem at once.
 */
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import {
  compileHostAllowlist,
  type ConfigProblem,
  coversProxyHost,
  loadSettings,
  resolveSettings,
  type SettingsSources,
} from '../src/index.js';
import { readDeployFile } from '../src/kamal.js';
import { DEPLOY_YML, DEPLOY_YML_HOSTS } from './support/kamal-files.js';
import { removeTempProjects, tempProject } from './support/temp-project.js';

afterAll(removeTempProjects);

const line = (p: ConfigProblem): string => `${p.setting}: ${p.value === '' ? '' : `${p.value} `}${p.message}`;

function resolveWith(deployYml: string | undefined, sources: Omit<SettingsSources, 'deployFile'> = {}) {
  const deployFile =
    deployYml === undefined
      ? undefined
      : readDeployFile('config/deploy.yml', { cwd: tempProject({ 'config/deploy.yml': deployYml }) });
  const resolution = resolveSettings({ env: {}, ...sources, ...(deployFile ? { deployFile } : {}) });
  return {
    ...resolution,
    problemLines: resolution.problems.map(line),
    warningLines: resolution.warnings.map(line),
  };
}

describe('origins', () => {
  it('names where each value came from: an option, a variable, a deploy-file key with its line, a default', () => {
    const { settings, origins, problems, warnings, deployFile } = resolveWith(DEPLOY_YML, {
      options: { rejectStatus: 403 },
      env: { NODE_ENV: 'production', TRUST_PROXY: 'loopback' },
    });
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(settings).toMatchObject({ allowedHosts: ['app.example.com'], port: 3000, rejectStatus: 403 });
    expect(origins).toEqual({
      allowedHosts: [
        {
          source: 'deploy-file',
          key: 'proxy.host',
          name: 'config/deploy.yml:14: proxy.host',
          location: { file: 'config/deploy.yml', line: 14 },
        },
      ],
      probePaths: [
        {
          source: 'deploy-file',
          key: 'proxy.healthcheck.path',
          name: 'config/deploy.yml:17: proxy.healthcheck.path',
          location: { file: 'config/deploy.yml', line: 17 },
        },
      ],
      trustProxy: [{ source: 'environment', key: 'TRUST_PROXY', name: 'TRUST_PROXY' }],
      rejectStatus: [{ source: 'option', key: 'rejectStatus', name: 'the rejectStatus option' }],
      environment: [{ source: 'environment', key: 'NODE_ENV', name: 'NODE_ENV' }],
      port: [
        {
          source: 'deploy-file',
          key: 'proxy.app_port',
          name: 'config/deploy.yml:15: proxy.app_port',
          location: { file: 'config/deploy.yml', line: 15 },
        },
      ],
    });
    expect(deployFile?.file).toBe('config/deploy.yml');
  });

  it("names Kamal's default when the deploy file leaves a key out", () => {
    const { origins, settings } = resolveWith(DEPLOY_YML_HOSTS, { env: { NODE_ENV: 'production' } });
    expect(settings?.port).toBe(80);
    expect(origins.port).toEqual([
      {
        source: 'deploy-file',
        key: 'proxy.app_port',
        name: "config/deploy.yml: proxy.app_port (not set: Kamal's default)",
      },
    ]);
  });

  it("names upgate's defaults without any source", () => {
    const { origins } = resolveWith(undefined);
    expect(origins.allowedHosts).toEqual([
      { source: 'default', key: 'allowedHosts', name: "upgate's development default" },
    ]);
    expect(origins.probePaths).toEqual([{ source: 'default', key: 'probePaths', name: "upgate's default" }]);
    expect(origins.port).toEqual([{ source: 'default', key: 'port', name: 'not set: the app decides' }]);
  });
});

describe('nothing overridden silently', () => {
  it('says so in one line when a higher source wins over a lower one that gave something else', () => {
    const { settings, warningLines, problemLines } = resolveWith(undefined, {
      options: { probePaths: ['/up'], trustProxy: true },
      env: { HEALTH_PROBE_PATHS: '/health', TRUST_PROXY: 'false' },
    });
    expect(problemLines).toEqual([]);
    expect(settings?.probePaths).toEqual(['/up']);
    expect(warningLines).toEqual([
      'HEALTH_PROBE_PATHS: "/health" is overridden by the probePaths option ["/up"]',
      'TRUST_PROXY: "false" is overridden by the trustProxy option true',
    ]);
  });

  it('makes a bad value in an overridden source a warning naming the winner, not a start-up error', () => {
    const { settings, warningLines, problemLines } = resolveWith(undefined, {
      options: { allowedHosts: ['app.example.com'], port: 3000 },
      env: { NODE_ENV: 'production', ALLOWED_HOSTS: 'https://app.example.com', PORT: 'eighty' },
    });
    expect(problemLines).toEqual([]);
    expect(settings).toMatchObject({ allowedHosts: ['app.example.com'], port: 3000 });
    expect(warningLines).toEqual([
      'ALLOWED_HOSTS: "https://app.example.com" is a URL; write the host alone: "app.example.com" (not used: the allowedHosts option ["app.example.com"] overrides it)',
      'PORT: "eighty" must be an integer port from 1 to 65535, e.g. 3000 (not used: the port option 3000 overrides it)',
    ]);
  });

  it('makes a misspelt variable a warning when the option it stands for is given', () => {
    const { warningLines, problemLines } = resolveWith(undefined, {
      options: { allowedHosts: ['app.example.com'] },
      env: { NODE_ENV: 'production', ALLOWED_HOST: 'app.example.com' },
    });
    expect(problemLines).toEqual([]);
    expect(warningLines).toEqual([
      'ALLOWED_HOST: "app.example.com" is not read by upgate; did you mean ALLOWED_HOSTS? (not used: the allowedHosts option ["app.example.com"] overrides it)',
    ]);
  });

  it('reports a bad value once when the option was filled from the same variable (ConfigService)', () => {
    const env = { NODE_ENV: 'production', ALLOWED_HOSTS: 'https://app.example.com' };
    const { warningLines, problemLines } = resolveWith(undefined, {
      options: { allowedHosts: env.ALLOWED_HOSTS.split(',') },
      env,
    });
    expect(problemLines).toEqual([
      'allowedHosts[0]: "https://app.example.com" is a URL; write the host alone: "app.example.com"',
    ]);
    expect(warningLines).toEqual([]);
  });

  it('trims the entries of an option list as it trims those of a variable: "a, b" split either way is the same', () => {
    const env = { NODE_ENV: 'production', ALLOWED_HOSTS: 'a.example.com, b.example.com' };
    const { settings, warningLines, problemLines } = resolveWith(undefined, {
      options: { allowedHosts: env.ALLOWED_HOSTS.split(',') },
      env,
    });
    expect(problemLines).toEqual([]);
    expect(warningLines).toEqual([]);
    expect(settings?.allowedHosts).toEqual(['a.example.com', 'b.example.com']);
  });

  it('says nothing when a higher source agrees with the deploy file (more probe paths, a wider allowlist, the same port)', () => {
    const { warningLines, problemLines } = resolveWith(DEPLOY_YML_HOSTS, {
      env: { NODE_ENV: 'production', HEALTH_PROBE_PATHS: '/up,/ready', PORT: '80', ALLOWED_HOSTS: '.shop.example.com' },
    });
    expect(problemLines).toEqual([]);
    expect(warningLines).toEqual([]);
  });
});

describe('development with a deploy file', () => {
  it("allows the deploy file's hosts and the local ones, and lets PORT win with a warning", () => {
    const { settings, origins, warningLines, problemLines } = resolveWith(DEPLOY_YML, { env: { PORT: '4000' } });
    expect(problemLines).toEqual([]);
    expect(settings).toMatchObject({
      allowedHosts: ['.localhost', '127.0.0.1', '[::1]', 'app.example.com'],
      port: 4000,
      environment: 'development',
    });
    expect(origins.allowedHosts.map((o) => o.name)).toEqual([
      "upgate's development hosts",
      'config/deploy.yml:14: proxy.host',
    ]);
    expect(compileHostAllowlist(settings?.allowedHosts ?? []).allowsHost('localhost:4000')).toBe(true);
    expect(warningLines).toEqual([
      'PORT: "4000" differs from proxy.app_port 3000 (config/deploy.yml:15), the port kamal-proxy sends requests and probes to; make them equal (only development starts with this)',
    ]);
  });

  it('makes every contradiction with the deploy file a warning, where production stops', () => {
    const env = { ALLOWED_HOSTS: 'localhost', HEALTH_PROBE_PATHS: '/healthz' };
    const development = resolveWith(DEPLOY_YML, { env });
    expect(development.problemLines).toEqual([]);
    expect(development.settings).toMatchObject({ allowedHosts: ['localhost'], probePaths: ['/healthz'] });
    expect(development.warningLines).toEqual([
      'HEALTH_PROBE_PATHS: "/healthz" leaves out "/up", the path kamal-proxy checks (config/deploy.yml:17: proxy.healthcheck.path); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: "/healthz,/up" (only development starts with this)',
      'ALLOWED_HOSTS: "localhost" does not allow "app.example.com", which kamal-proxy routes to this app (config/deploy.yml:14: proxy.host), so every request for it would be rejected; add it (only development starts with this)',
    ]);
    const production = resolveWith(DEPLOY_YML, { env: { ...env, NODE_ENV: 'production' } });
    expect(production.problems.map((p) => p.contradicts)).toEqual(['proxy.healthcheck.path', 'proxy.hosts']);
    expect(production.warningLines).toEqual([]);
    // What the app would run with is still known, for `upgate check` to compare.
    expect(production.settings).toMatchObject({ allowedHosts: ['localhost'], probePaths: ['/healthz'] });
  });
});

describe('probe paths the app answers besides the setting (HealthModule probes keys)', () => {
  const extra = (paths: string[]) => ({
    paths,
    origin: { source: 'option' as const, key: 'probes', name: 'the probes option' },
    setting: (path: string) => `probes['${path}']`,
  });

  it('adds them to the probe paths, with their origin, and counts them against the deploy file', () => {
    const { settings, origins, problemLines } = resolveWith(DEPLOY_YML, {
      env: { NODE_ENV: 'production' },
      extraProbePaths: [extra(['/ready', '/up'])],
    });
    expect(problemLines).toEqual([]);
    expect(settings?.probePaths).toEqual(['/up', '/ready']);
    expect(origins.probePaths.map((o) => o.name)).toEqual([
      'config/deploy.yml:17: proxy.healthcheck.path',
      'the probes option',
    ]);
    // /up answered as a key of probes satisfies kamal-proxy's health check.
    const covered = resolveWith(DEPLOY_YML, {
      env: { NODE_ENV: 'production' },
      options: { probePaths: ['/healthz'] },
      extraProbePaths: [extra(['/up'])],
    });
    expect(covered.problemLines).toEqual([]);
  });

  it('reports a bad one together with every other problem', () => {
    const { problemLines } = resolveWith(undefined, {
      env: { NODE_ENV: 'production', TRUST_PROXY: 'yes' },
      extraProbePaths: [extra(['ready'])],
    });
    expect(problemLines).toEqual([
      'TRUST_PROXY: "yes" is not true or false; write true, false, or a comma-separated list of addresses, networks, "loopback" and "private", e.g. TRUST_PROXY=loopback,10.0.0.0/8',
      'allowed hosts: are empty, which only development allows (NODE_ENV is "production"); give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in a Kamal deploy file (the deployFile option)',
      `probes['ready']: "ready" is not an absolute path; write "/ready"`,
    ]);
  });
});

describe('the deploy file as a source', () => {
  it('reports its problems with the others, and gives no settings', () => {
    const { settings, problemLines } = resolveWith(DEPLOY_YML.replace('app_port: 3000', 'app_port: "3000"'), {
      env: { NODE_ENV: 'production', PORT: 'x' },
    });
    expect(settings).toBeUndefined();
    expect(problemLines).toEqual([
      'PORT: "x" must be an integer port from 1 to 65535, e.g. 3000',
      'config/deploy.yml:15: proxy.app_port: "3000" must be an integer port, e.g. 3000',
    ]);
  });
});

describe('proxy.healthcheck.path with a query', () => {
  it('is refused with what kamal-proxy really requests, and the path alone; that path then passes', () => {
    const withQuery = DEPLOY_YML.replace('path: /up', 'path: "/up?full=1"');
    expect(withQuery).not.toBe(DEPLOY_YML);
    const { settings, problemLines } = resolveWith(withQuery, { env: { NODE_ENV: 'production' } });
    expect(settings).toBeUndefined();
    expect(problemLines).toEqual([
      'config/deploy.yml:17: proxy.healthcheck.path: "/up?full=1" has a query ("?"), which kamal-proxy does not send as one: it escapes it into the path and requests "/up%3Ffull=1"; write the path alone: "/up"',
    ]);
    const fixed = resolveWith(DEPLOY_YML.replace('path: /up', 'path: "/up"'), { env: { NODE_ENV: 'production' } });
    expect(fixed.problemLines).toEqual([]);
    expect(fixed.settings?.probePaths).toEqual(['/up']);
  });

  it('keeps the plain message for a path that is wrong in other ways too', () => {
    const { problemLines } = resolveWith(DEPLOY_YML.replace('path: /up', 'path: "up?full=1"'), {
      env: { NODE_ENV: 'production' },
    });
    expect(problemLines).toEqual([
      'config/deploy.yml:17: proxy.healthcheck.path: "up?full=1" has a query ("?"); write the path alone: "up"',
    ]);
  });
});

describe('coversProxyHost: does the allowlist let through every request kamal-proxy routes for a proxy host', () => {
  it.each([
    [['app.example.com'], 'app.example.com', true],
    [['app.example.com'], 'www.example.com', false],
    [['.example.com'], '*.example.com', true],
    [['*.example.com'], '*.example.com', true],
    [['*'], '*.example.com', true],
    [['app.example.com', 'www.example.com'], '*.example.com', false],
    [['example.com'], '*.example.com', false],
    [['.example.com'], 'example.com', true],
    [['app.example.com:8443'], 'app.example.com', false],
  ])('%j covers %s: %s', (allowlist, proxyHost, covered) => {
    expect(coversProxyHost(compileHostAllowlist(allowlist), proxyHost)).toBe(covered);
  });
});

describe('loadSettings: where its warnings go', () => {
  it('emits each through process.emitWarning by default, as an UpgateWarning', () => {
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      loadSettings({ env: { HOST_REJECT_STATUS: '400' }, options: { rejectStatus: 403 } });
      expect(emitted.mock.calls).toEqual([
        [
          'upgate: HOST_REJECT_STATUS: "400" is overridden by the rejectStatus option 403',
          { type: 'UpgateWarning', code: 'UPGATE_SETTINGS' },
        ],
      ]);
    } finally {
      emitted.mockRestore();
    }
  });

  it('gives each to onWarning instead, once', () => {
    const seen: ConfigProblem[] = [];
    loadSettings({ env: { PORT: '8080' }, options: { port: 3000 }, onWarning: (w) => seen.push(w) });
    expect(seen.map(line)).toEqual(['PORT: "8080" is overridden by the port option 3000']);
  });
});
