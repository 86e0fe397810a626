/**
 * The rehearsal's port of what Kamal 2.12 derives from a deploy file (rehearsal/kamal-deployment.ts),
 * held to Kamal's own test suite: each case is a configuration from basecamp/kamal v2.12.0's tests and
 * the command or value those tests expect, written as they are there (shell-quoted; the rehearsal
 * passes arguments as a list, so the quotes are taken off before comparing).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REHEARSAL_SECRETS, secretsExporting } from '../rehearsal/kamal.js';
import { readKamalDeployment } from '../rehearsal/kamal-deployment.js';
import { readKamalSecrets } from '../rehearsal/kamal-secrets.js';
import { DEPLOY_YML } from './support/demo-process.js';

const dir = mkdtempSync(join(tmpdir(), 'upgate-kamal-deployment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function deployFile(config: Record<string, unknown>): string {
  const file = join(dir, `deploy-${++files}.yml`);
  writeFileSync(file, stringify(config));
  return file;
}

/** `docker exec kamal-proxy kamal-proxy deploy ...` as Kamal's tests write it, as an argument list. */
function kamalProxyArgs(command: string): string[] {
  const prefix = 'docker exec kamal-proxy kamal-proxy ';
  expect(command.startsWith(prefix)).toBe(true);
  return command
    .slice(prefix.length)
    .split(' ')
    .map((word) => word.replace(/^(--[a-z-]+=)"(.*)"$/, '$1$2'));
}

/** test/commands/app_test.rb's configuration. */
const APP_TEST = {
  service: 'app',
  image: 'dhh/app',
  registry: { username: 'dhh', password: 'secret' },
  servers: { web: ['1.1.1.1'], workers: ['1.1.1.2'] },
  env: { secret: ['RAILS_MASTER_KEY'] },
  builder: { arch: 'amd64' },
};

describe('kamal-proxy deploy, as Kamal 2.12 builds it (test/commands/app_test.rb)', () => {
  it.each([
    [
      'deploy',
      {},
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    ],
    [
      'deploy with SSL',
      { proxy: { ssl: true, host: 'example.com' } },
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --host="example.com" --tls --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    ],
    [
      'deploy with SSL targeting multiple hosts',
      { proxy: { ssl: true, hosts: ['example.com', 'anotherexample.com'] } },
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --host="example.com" --host="anotherexample.com" --tls --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    ],
    [
      'deploy with SSL false',
      { proxy: { ssl: false } },
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    ],
  ])('%s', (_name, extra, command) => {
    const deployment = readKamalDeployment(deployFile({ ...APP_TEST, ...extra }));
    expect(deployment.deployCommandArgs('172.1.0.2')).toEqual(kamalProxyArgs(command));
  });
});

describe('role-specific proxy settings (test/cli/app_test.rb, "boot proxy with role specific config")', () => {
  // test/fixtures/deploy_with_proxy_roles.yml, without its accessories (not read here).
  const file = deployFile({
    service: 'app',
    image: 'dhh/app',
    servers: {
      web: { hosts: ['1.1.1.1', '1.1.1.2'] },
      web2: { hosts: ['1.1.1.3', '1.1.1.4'], proxy: { response_timeout: 15 } },
    },
    registry: { username: 'user', password: 'pw' },
    builder: { arch: 'amd64' },
    proxy: { response_timeout: 10 },
    readiness_delay: 0,
    deploy_timeout: 6,
  });

  it.each([
    [
      'web',
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="123:80" --deploy-timeout="6s" --drain-timeout="30s" --target-timeout="10s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    ],
    [
      'web2',
      'docker exec kamal-proxy kamal-proxy deploy app-web2 --target="123:80" --deploy-timeout="6s" --drain-timeout="30s" --target-timeout="15s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    ],
  ])('%s', (role, command) => {
    expect(readKamalDeployment(file, role).deployCommandArgs('123')).toEqual(kamalProxyArgs(command));
  });

  it('refuses a role that runs no kamal-proxy', () => {
    const workers = deployFile({ ...APP_TEST });
    expect(() => readKamalDeployment(workers, 'workers')).toThrow('the role workers runs without kamal-proxy');
  });
});

describe('the container\'s environment (test/commands/app_test.rb, "run")', () => {
  it('is KAMAL_CONTAINER_NAME, KAMAL_VERSION, KAMAL_HOST and env.secret from the secrets', () => {
    // docker run ... --name app-web-999 ... --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999"
    // --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env, secrets RAILS_MASTER_KEY=456
    const deployment = readKamalDeployment(deployFile(APP_TEST));
    expect(deployment.containerName('999')).toBe('app-web-999');
    expect(deployment.containerEnvironment('999', { RAILS_MASTER_KEY: '456' })).toEqual({
      clear: { KAMAL_CONTAINER_NAME: 'app-web-999', KAMAL_VERSION: '999', KAMAL_HOST: '1.1.1.1' },
      secret: { RAILS_MASTER_KEY: '456' },
    });
  });

  it('merges the root env, the role env and the host tags, and resolves secret aliases', () => {
    // Kamal::Configuration::Env and Role#env: later layers win; "NAME:SECRET" reads SECRET.
    const deployment = readKamalDeployment(
      deployFile({
        ...APP_TEST,
        servers: { web: { hosts: [{ '1.1.1.1': ['eu'] }], env: { clear: { ROLE: 'web', LEVEL: 'role' } } } },
        env: {
          clear: { LEVEL: 'root', PORT: 3000 },
          secret: ['DATABASE_URL:EU_DATABASE_URL'],
          tags: { eu: { LEVEL: 'tag' } },
        },
      }),
    );
    expect(deployment.containerEnvironment('1', { EU_DATABASE_URL: 'postgres://db/eu' })).toEqual({
      clear: {
        KAMAL_CONTAINER_NAME: 'app-web-1',
        KAMAL_VERSION: '1',
        KAMAL_HOST: '1.1.1.1',
        LEVEL: 'tag',
        PORT: '3000',
        ROLE: 'web',
      },
      secret: { DATABASE_URL: 'postgres://db/eu' },
    });
  });

  it('names a secret the rehearsal lacks, and where to add it', () => {
    const deployment = readKamalDeployment(deployFile(APP_TEST));
    expect(() => deployment.containerEnvironment('1', {})).toThrow(
      'env.secret lists RAILS_MASTER_KEY, and the secrets have no RAILS_MASTER_KEY: add it to apps/demo/.kamal/secrets (its variables: REHEARSAL_SECRETS in rehearsal/kamal.ts)',
    );
  });
});

describe('an accessory, as kamal accessory boot runs it (test/commands/accessory_test.rb, "run")', () => {
  /** The accessories of Kamal's test, less what the rehearsal does not play (port, options, labels, volumes, registry, proxy). */
  const ACCESSORY_TEST = {
    service: 'app',
    image: 'dhh/app',
    registry: { server: 'private.registry', username: 'dhh', password: 'secret' },
    servers: ['1.1.1.1'],
    builder: { arch: 'amd64' },
    accessories: {
      mysql: {
        image: 'private.registry/mysql:8.0',
        host: '1.1.1.5',
        env: { clear: { MYSQL_ROOT_HOST: '%' }, secret: ['MYSQL_ROOT_PASSWORD'] },
      },
      busybox: { service: 'custom-busybox', image: 'busybox:latest', host: '1.1.1.7' },
    },
  };

  it('is named <service>-<name> unless it names its service, with KAMAL_HOST, env.clear and env.secret from the secrets', () => {
    // docker run --name app-mysql ... --env KAMAL_HOST="1.1.1.5" (boot on its host) --env MYSQL_ROOT_HOST="%"
    // --env-file .kamal/apps/app/env/accessories/mysql.env ... private.registry/mysql:8.0
    const deployment = readKamalDeployment(deployFile(ACCESSORY_TEST));
    expect(deployment.accessory('mysql', { MYSQL_ROOT_PASSWORD: 'secret123' })).toEqual({
      name: 'mysql',
      serviceName: 'app-mysql',
      image: 'private.registry/mysql:8.0',
      env: { clear: { KAMAL_HOST: '1.1.1.5', MYSQL_ROOT_HOST: '%' }, secret: { MYSQL_ROOT_PASSWORD: 'secret123' } },
      directories: [],
    });
    expect(deployment.accessory('busybox', {}).serviceName).toBe('custom-busybox');
  });

  it('refuses what the rehearsal does not play, rather than leave it out', () => {
    const deployment = readKamalDeployment(
      deployFile({ ...ACCESSORY_TEST, accessories: { redis: { image: 'redis:latest', port: '6379:6379' } } }),
    );
    expect(() => deployment.accessory('redis', {})).toThrow('accessories.redis: port is not rehearsed');
    expect(() => deployment.accessory('mysql', {})).toThrow('there is no accessory mysql');
  });

  it("is the demo's PostgreSQL under the name its DATABASE_URL (composed in .kamal/secrets) reaches it by", () => {
    const secrets = secretsExporting(REHEARSAL_SECRETS);
    const db = readKamalDeployment(DEPLOY_YML).accessory('db', secrets);
    expect(db).toMatchObject({
      serviceName: 'upgate-demo-db',
      image: 'postgres:15',
      env: {
        clear: { POSTGRES_USER: 'upgate', POSTGRES_DB: 'upgate_demo' },
        secret: { POSTGRES_PASSWORD: REHEARSAL_SECRETS['POSTGRES_PASSWORD'] },
      },
      directories: [{ host: 'data', container: '/var/lib/postgresql/data' }],
    });
    const url = new URL(secrets['DATABASE_URL'] ?? '');
    expect([url.hostname, url.username, decodeURIComponent(url.password), url.pathname]).toEqual([
      db.serviceName,
      db.env.clear['POSTGRES_USER'],
      db.env.secret['POSTGRES_PASSWORD'],
      `/${db.env.clear['POSTGRES_DB']}`,
    ]);
  });
});

describe('the secrets, as Kamal reads .kamal/secrets (dotenv, $NAME from the shell)', () => {
  it('substitutes what the shell exports, and refuses a variable it does not, or a command', () => {
    const file = join(dir, 'secrets');
    writeFileSync(file, '# comment\nA=$ONE\nB=x-${TWO}-$A\n');
    expect(readKamalSecrets(file, { ONE: '1', TWO: '2' })).toEqual({ A: '1', B: 'x-2-1' });
    expect(() => readKamalSecrets(file, { ONE: '1' })).toThrow('B reads $TWO, which the rehearsal does not export');
    writeFileSync(file, 'A=$(kamal secrets fetch --adapter 1password A)\n');
    expect(() => readKamalSecrets(file, {})).toThrow('runs a command ($(...)) for a secret');
  });
});

describe('docker stop -t (test/configuration/role_test.rb, "stop args ...")', () => {
  const roles = {
    ...APP_TEST,
    servers: { web: { hosts: ['1.1.1.1', '1.1.1.2'] }, workers: ['1.1.1.3'] },
  };
  it.each([
    ['with proxy and stop_timeout', { servers: { web: { hosts: ['1.1.1.1'], stop_timeout: 60 } } }, 60],
    ['with root stop_timeout', { stop_timeout: 45 }, 45],
    [
      'with role stop_timeout overriding root',
      { stop_timeout: 45, servers: { web: { hosts: ['1.1.1.1'], stop_timeout: 60 } } },
      60,
    ],
    // Role#stop_args passes no -t for a proxied role without stop_timeout: Docker's default.
    ['without stop_timeout', {}, 10],
  ])('%s', (_name, extra, seconds) => {
    expect(readKamalDeployment(deployFile({ ...roles, ...extra })).stopTimeoutSeconds).toBe(seconds);
  });
});

describe("the demo's deploy file", () => {
  it('gives kamal-proxy every proxy setting it writes, and the certificate in place of ACME', () => {
    const deployment = readKamalDeployment(DEPLOY_YML);
    const args = deployment.deployCommandArgs('0123456789ab', {
      certificatePath: '/tls/cert.pem',
      privateKeyPath: '/tls/key.pem',
    });
    expect(args.slice(0, 2)).toEqual(['deploy', `${deployment.service}-web`]);
    expect(args).toContain(`--target=0123456789ab:${deployment.appPort}`);
    for (const host of deployment.hosts) expect(args).toContain(`--host=${host}`);
    expect(args.indexOf('--tls-certificate-path=/tls/cert.pem')).toBe(args.indexOf('--tls') + 1);
    expect(args.indexOf('--tls-private-key-path=/tls/key.pem')).toBe(args.indexOf('--tls') + 2);
    expect(args).toContain(`--health-check-path=${deployment.healthCheckPath}`);
  });
});
