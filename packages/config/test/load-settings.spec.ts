import { afterAll, describe, expect, it } from '@jest/globals';
import { type ConfigProblem, loadSettings, UpgateConfigError, type UpgateSources } from '../src/index.js';
import { readDeployFile, settingsFromDeployFile } from '../src/kamal.js';
import { DEPLOY_STAGING_YML, DEPLOY_YML, DEPLOY_YML_HOSTS } from './support/kamal-files.js';
import { problemLines, removeTempProjects, tempProject } from './support/temp-project.js';

afterAll(removeTempProjects);

/** A project with `config/deploy.yml` (and more files), loaded with `sources`; warnings fail the test unless expected. */
function loadWithDeployFile(
  deployYml: string,
  sources: Omit<UpgateSources, 'deployFile'> & { destination?: string } = {},
  extra: Record<string, string> = {},
) {
  const cwd = tempProject({ 'config/deploy.yml': deployYml, ...extra });
  const { destination, ...rest } = sources;
  const deployFile = readDeployFile('config/deploy.yml', { cwd, ...(destination ? { destination } : {}) });
  return loadSettings({ env: {}, onWarning: unexpected, ...rest, deployFile });
}

function unexpected(warning: ConfigProblem): void {
  throw new Error(`unexpected warning: ${warning.setting}: ${warning.value} ${warning.message}`);
}

describe('loadSettings: defaults', () => {
  it('needs no configuration in development', () => {
    const settings = loadSettings({ env: {} });
    expect(settings).toEqual({
      allowedHosts: ['.localhost', '127.0.0.1', '[::1]'],
      probePaths: ['/up'],
      trustProxy: false,
      rejectStatus: 400,
      environment: 'development',
    });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.allowedHosts)).toBe(true);
  });

  it('treats an explicitly empty allowlist as not given', () => {
    expect(loadSettings({ env: {}, options: { allowedHosts: [] } }).allowedHosts).toEqual([
      '.localhost',
      '127.0.0.1',
      '[::1]',
    ]);
  });

  it('refuses an empty allowlist outside development, naming every setting that can fill it', () => {
    expect(problemLines(() => loadSettings({ env: { NODE_ENV: 'production' } }))).toEqual([
      'allowed hosts: are empty, which only development allows (NODE_ENV is "production"); give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in a Kamal deploy file (the deployFile option)',
    ]);
    expect(problemLines(() => loadSettings({ env: {}, options: { environment: 'test' } }))).toEqual([
      'allowed hosts: are empty, which only development allows (environment is "test"); give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in a Kamal deploy file (the deployFile option)',
    ]);
  });

  it('names the deploy file when it gives no host either', () => {
    expect(
      problemLines(() =>
        loadWithDeployFile(DEPLOY_YML.replace('  ssl: true\n  host: app.example.com\n', ''), {
          env: { NODE_ENV: 'production', PORT: '3000' },
        }),
      ),
    ).toEqual([
      'allowed hosts: are empty, which only development allows (NODE_ENV is "production"); give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in config/deploy.yml',
    ]);
  });

  it('reads process.env when no env is given', () => {
    const saved = { ...process.env };
    process.env.NODE_ENV = 'production';
    process.env.ALLOWED_HOSTS = 'app.example.com';
    try {
      expect(loadSettings().allowedHosts).toEqual(['app.example.com']);
    } finally {
      for (const key of ['NODE_ENV', 'ALLOWED_HOSTS']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});

describe('loadSettings: precedence (options > environment > deploy file > defaults)', () => {
  it('takes each field from the highest source that gives it, and lists whole, saying what it overrides', () => {
    const warnings: string[] = [];
    const settings = loadWithDeployFile(DEPLOY_YML, {
      onWarning: (w) => warnings.push(`${w.setting}: ${w.value} ${w.message}`),
      options: { rejectStatus: 421 },
      env: {
        NODE_ENV: 'production',
        HOST_REJECT_STATUS: '403',
        ALLOWED_HOSTS: 'app.example.com,admin.example.com',
        TRUST_PROXY: 'loopback',
      },
    });
    expect(settings).toEqual({
      allowedHosts: ['app.example.com', 'admin.example.com'], // environment, not concatenated with proxy.host
      probePaths: ['/up'], // deploy file
      trustProxy: ['loopback'], // environment
      rejectStatus: 421, // options over HOST_REJECT_STATUS
      environment: 'production',
      port: 3000, // proxy.app_port
    });
    // The allowlist covers proxy.host: nothing of the deploy file is lost, so nothing to say about it.
    expect(warnings).toEqual(['HOST_REJECT_STATUS: "403" is overridden by the rejectStatus option 421']);
  });

  it('uses the deploy file alone for hosts, probe path and port', () => {
    expect(loadWithDeployFile(DEPLOY_YML_HOSTS, { env: { NODE_ENV: 'production' } })).toEqual({
      allowedHosts: ['shop.example.com', 'www.shop.example.com'],
      probePaths: ['/up'],
      trustProxy: false,
      rejectStatus: 400,
      environment: 'production',
      port: 80,
    });
  });

  it('merges the destination file before reading it', () => {
    const settings = loadWithDeployFile(
      DEPLOY_YML,
      { env: { NODE_ENV: 'production' }, destination: 'staging' },
      { 'config/deploy.staging.yml': DEPLOY_STAGING_YML },
    );
    expect(settings.allowedHosts).toEqual(['staging.example.com']);
    expect(settings.port).toBe(3000);
  });

  it('lets a higher source agree with the deploy file: extra probe paths, a wider allowlist, the same port', () => {
    const settings = loadWithDeployFile(DEPLOY_YML_HOSTS, {
      env: { NODE_ENV: 'production', HEALTH_PROBE_PATHS: '/ready,/up', PORT: '80' },
      options: { allowedHosts: ['.shop.example.com', 'internal.example.net'] },
    });
    expect(settings.probePaths).toEqual(['/ready', '/up']);
    expect(settings.allowedHosts).toEqual(['.shop.example.com', 'internal.example.net']);
    expect(settings.port).toBe(80);
  });

  it('ignores the proxy settings of a primary role that runs no proxy', () => {
    const deployYml =
      'service: demo\nimage: acme/demo\nservers:\n  web:\n    hosts: [192.168.0.1]\n    proxy: false\nproxy:\n  host: app.example.com\n  app_port: 3000\n';
    expect(loadWithDeployFile(deployYml, { env: { PORT: '8080', HEALTH_PROBE_PATHS: '/health' } })).toMatchObject({
      allowedHosts: ['.localhost', '127.0.0.1', '[::1]'],
      probePaths: ['/health'],
      port: 8080,
    });
  });
});

describe('loadSettings: contradictions with the deploy file', () => {
  it('refuses probe paths that leave out the health-check path kamal-proxy probes', () => {
    expect(
      problemLines(() =>
        loadWithDeployFile(DEPLOY_YML, { env: { NODE_ENV: 'production', HEALTH_PROBE_PATHS: '/healthz' } }),
      ),
    ).toEqual([
      'HEALTH_PROBE_PATHS: "/healthz" leaves out "/up", the path kamal-proxy checks (config/deploy.yml:17: proxy.healthcheck.path); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: "/healthz,/up"',
    ]);
  });

  it("counts Kamal's default /up as the probed path when the deploy file sets none", () => {
    expect(
      problemLines(() =>
        loadWithDeployFile(DEPLOY_YML_HOSTS, { env: { NODE_ENV: 'production' }, options: { probePaths: ['/health'] } }),
      ),
    ).toEqual([
      'probePaths: ["/health"] leaves out "/up", the path kamal-proxy checks (Kamal\'s default: config/deploy.yml sets no proxy.healthcheck.path); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: ["/health","/up"]',
    ]);
  });

  it('refuses a PORT other than proxy.app_port', () => {
    expect(
      problemLines(() => loadWithDeployFile(DEPLOY_YML, { env: { NODE_ENV: 'production', PORT: '8080' } })),
    ).toEqual([
      'PORT: "8080" differs from proxy.app_port 3000 (config/deploy.yml:15), the port kamal-proxy sends requests and probes to; make them equal',
    ]);
  });

  it("refuses a port other than 80 when the deploy file leaves proxy.app_port to Kamal's default", () => {
    expect(
      problemLines(() =>
        loadWithDeployFile(DEPLOY_YML_HOSTS, { env: { NODE_ENV: 'production' }, options: { port: 3000 } }),
      ),
    ).toEqual([
      "port: 3000 differs from 80, the port kamal-proxy sends requests and probes to (Kamal's default: config/deploy.yml sets no proxy.app_port); set proxy.app_port: 3000 there",
    ]);
  });

  it('refuses an allowlist that rejects a host kamal-proxy routes to the app', () => {
    expect(
      problemLines(() =>
        loadWithDeployFile(DEPLOY_YML_HOSTS, { env: { NODE_ENV: 'production', ALLOWED_HOSTS: 'shop.example.com' } }),
      ),
    ).toEqual([
      'ALLOWED_HOSTS: "shop.example.com" does not allow "www.shop.example.com", which kamal-proxy routes to this app (config/deploy.yml:15: proxy.hosts), so every request for it would be rejected; add it',
    ]);
  });

  it('checks a wildcard proxy host against the allowlist as a whole', () => {
    const wildcard = DEPLOY_YML.replace('host: app.example.com', 'host: "*.example.com"');
    expect(
      loadWithDeployFile(wildcard, { env: { NODE_ENV: 'production', ALLOWED_HOSTS: '.example.com' } }).allowedHosts,
    ).toEqual(['.example.com']);
    expect(
      problemLines(() =>
        loadWithDeployFile(wildcard, { env: { NODE_ENV: 'production', ALLOWED_HOSTS: 'app.example.com' } }),
      ),
    ).toEqual([
      'ALLOWED_HOSTS: "app.example.com" does not allow "*.example.com", which kamal-proxy routes to this app (config/deploy.yml:14: proxy.host), so every request for it would be rejected; add it',
    ]);
  });
});

describe('loadSettings: every problem at once', () => {
  it('lists the problems of every source and the contradictions in one error; an overridden bad value is a warning', () => {
    const deployYml = DEPLOY_YML.replace('host: app.example.com', 'host: https://app.example.com');
    let caught: unknown;
    try {
      loadWithDeployFile(deployYml, {
        options: { allowedHosts: ['app.example.com/admin'], rejectStatus: 404 as 400 },
        env: { NODE_ENV: 'production', TRUST_PROXY: 'yes', HEALTH_PROBE_PATH: '/health', PORT: '8080' },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UpgateConfigError);
    expect((caught as UpgateConfigError).message).toBe(
      [
        'upgate: invalid settings (5 problems):',
        '  - allowedHosts[0]: "app.example.com/admin" has a path; write the host alone: "app.example.com"',
        '  - rejectStatus: 404 must be 400 (as Django), 403 (as Rails) or 421 (Misdirected Request)',
        '  - HEALTH_PROBE_PATH: "/health" is not read by upgate; did you mean HEALTH_PROBE_PATHS?',
        '  - TRUST_PROXY: "yes" is not true or false; write true, false, or a comma-separated list of addresses, networks, "loopback" and "private", e.g. TRUST_PROXY=loopback,10.0.0.0/8',
        '  - PORT: "8080" differs from proxy.app_port 3000 (config/deploy.yml:15), the port kamal-proxy sends requests and probes to; make them equal',
      ].join('\n'),
    );
    expect((caught as UpgateConfigError).warnings).toEqual([
      {
        setting: 'config/deploy.yml:14: proxy.host',
        value: '"https://app.example.com"',
        message:
          'is a URL; write the host alone: "app.example.com" (not used: the allowedHosts option ["app.example.com/admin"] overrides it)',
      },
    ]);
  });

  it('reports a deploy file Kamal would reject among the other problems, without a spurious empty-allowlist error', () => {
    expect(
      problemLines(() =>
        loadWithDeployFile(DEPLOY_YML.replace('app_port: 3000', 'app_port: "eighty"'), {
          env: { NODE_ENV: 'production', PORT: '3000x' },
        }),
      ),
    ).toEqual([
      'PORT: "3000x" must be an integer port from 1 to 65535, e.g. 3000',
      'config/deploy.yml:15: proxy.app_port: "eighty" must be an integer port, e.g. 3000',
    ]);
  });

  it('does not add an empty-allowlist error when the allowlist given is all bad', () => {
    expect(
      problemLines(() => loadSettings({ env: { NODE_ENV: 'production', ALLOWED_HOSTS: 'https://app.example.com' } })),
    ).toEqual(['ALLOWED_HOSTS: "https://app.example.com" is a URL; write the host alone: "app.example.com"']);
  });

  it('reports a missing destination file', () => {
    expect(
      problemLines(() => loadWithDeployFile(DEPLOY_YML, { env: { NODE_ENV: 'production' }, destination: 'staging' })),
    ).toEqual([
      'config/deploy.staging.yml: is not there, and destination "staging" needs it (Kamal merges it over config/deploy.yml); create it or give the right destination',
    ]);
  });

  it('refuses a file name where the file read belongs, saying how to read it', () => {
    expect(problemLines(() => loadSettings({ env: {}, deployFile: 'config/deploy.yml' as never }))).toEqual([
      "deployFile: \"config/deploy.yml\" is a file name; loadSettings takes the file read, so that only apps with a deploy file load a YAML parser: loadSettings({ deployFile: readDeployFile('config/deploy.yml') }), with readDeployFile from '@upgate/config/kamal'",
    ]);
  });
});

describe('settingsFromDeployFile', () => {
  it('returns what the deploy file gives', () => {
    const cwd = tempProject({ 'config/deploy.yml': DEPLOY_YML });
    expect(settingsFromDeployFile('config/deploy.yml', { cwd })).toEqual({
      allowedHosts: ['app.example.com'],
      probePaths: ['/up'],
      port: 3000,
    });
  });

  it('checks hosts and the health-check path as upgate entries, with file and line', () => {
    const deployYml = DEPLOY_YML_HOSTS.replace('- www.shop.example.com', '- www.shop.example.com:https').replace(
      '  forward_headers: true\n',
      '  healthcheck:\n    path: up\n',
    );
    const cwd = tempProject({ 'config/deploy.yml': deployYml });
    expect(problemLines(() => settingsFromDeployFile('config/deploy.yml', { cwd }))).toEqual([
      'config/deploy.yml:17: proxy.hosts[1]: "www.shop.example.com:https" has port "https"; a port is 1-65535',
      'config/deploy.yml:19: proxy.healthcheck.path: "up" is not an absolute path; write "/up"',
    ]);
  });
});
