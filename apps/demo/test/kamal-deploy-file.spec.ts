/**
 * config/deploy.yml must pass Kamal 2's own configuration validator: only keys Kamal knows, values
 * of the types it expects (checked against key lists written from Kamal's docs, see the fixture).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_ROOT, DEPLOY_YML, replace } from './support/demo-process.js';
import { loadKamalKeys, parseAsKamal, validateKamalConfig } from './support/kamal-validator.js';

const KEYS = loadKamalKeys(join(DEMO_ROOT, 'test', 'fixtures', 'kamal-2-keys.json'));
const TEXT = readFileSync(DEPLOY_YML, 'utf8');

const problemsOf = (text: string): string[] => validateKamalConfig(parseAsKamal(text), KEYS);

describe("the demo's config/deploy.yml, as Kamal 2 validates it", () => {
  it('uses the sections Kamal requires and the ones the demo needs', () => {
    const config = parseAsKamal(TEXT) as Record<string, unknown>;
    expect(Object.keys(config)).toEqual([
      'service',
      'image',
      'servers',
      'proxy',
      'registry',
      'builder',
      'env',
      'accessories',
    ]);
    expect(Object.keys(config['proxy'] as object)).toEqual(['hosts', 'app_port', 'ssl', 'healthcheck']);
    // The anchor gives the build the same port as kamal-proxy (a YAML alias, resolved as Psych does).
    expect((config['builder'] as { args: unknown }).args).toEqual({
      APP_PORT: (config['proxy'] as { app_port: unknown }).app_port,
    });
  });

  it('has only keys Kamal knows, each of the type Kamal expects', () => {
    expect(problemsOf(TEXT)).toEqual([]);
  });

  it('runs the database as the accessory db, on keys Kamal knows, its password and the app’s URL from secrets', () => {
    const config = parseAsKamal(TEXT) as {
      accessories: Record<string, Record<string, unknown>>;
      env: { secret: unknown };
      servers: { web: string[] };
    };
    const db = config.accessories['db'] ?? {};
    // The keys of an accessory in Kamal 2.12 (lib/kamal/configuration/docs/accessory.yml).
    const accessoryKeys = [
      'service',
      'image',
      'registry',
      'host',
      'hosts',
      'role',
      'roles',
      'tag',
      'tags',
      'cmd',
      'port',
      'labels',
      'options',
      'env',
      'files',
      'directories',
      'volumes',
      'network',
      'proxy',
    ];
    expect(Object.keys(db).filter((key) => !accessoryKeys.includes(key))).toEqual([]);
    expect(db['image']).toMatch(/^postgres:15\b/);
    expect([db['host']]).toEqual(config.servers.web);
    expect(db['env']).toEqual({
      clear: { POSTGRES_USER: 'upgate', POSTGRES_DB: 'upgate_demo' },
      secret: ['POSTGRES_PASSWORD'],
    });
    expect(config.env.secret).toEqual(['DATABASE_URL']);
    const secrets = readFileSync(join(DEMO_ROOT, '.kamal', 'secrets'), 'utf8');
    expect(secrets).toMatch(/^POSTGRES_PASSWORD=\$POSTGRES_PASSWORD$/m);
    // Kamal names the accessory's container <service>-db, its name on the kamal network.
    expect(secrets).toMatch(/^DATABASE_URL=postgres:\/\/upgate:\$POSTGRES_PASSWORD@upgate-demo-db:5432\/upgate_demo$/m);
  });

  it('takes the registry password from a secret, not from the file', () => {
    const registry = (parseAsKamal(TEXT) as { registry: { password: unknown } }).registry;
    expect(registry.password).toEqual(['KAMAL_REGISTRY_PASSWORD']);
    expect(readFileSync(join(DEMO_ROOT, '.kamal', 'secrets'), 'utf8')).toMatch(
      /^KAMAL_REGISTRY_PASSWORD=\$KAMAL_REGISTRY_PASSWORD$/m,
    );
  });
});

describe('the validator of this test catches what Kamal rejects', () => {
  it.each([
    [
      'an unknown key at the root',
      (t: string) => replace(t, 'service: upgate-demo', 'service: upgate-demo\nservce: typo'),
      ['unknown key: servce'],
    ],
    ['an extension key at the root (allowed)', (t: string) => `x-common: &common\n  a: 1\n${t}`, []],
    [
      'an unknown proxy key',
      (t: string) => replace(t, '  healthcheck:\n', '  helthcheck:\n'),
      ['proxy: unknown key: helthcheck'],
    ],
    [
      'an unknown healthcheck key',
      (t: string) => replace(t, '    interval: 1\n', '    intervall: 1\n'),
      ['proxy/healthcheck: unknown key: intervall'],
    ],
    [
      'a string timeout',
      (t: string) => replace(t, 'timeout: 5', 'timeout: 5s'),
      ['proxy/healthcheck/timeout: should be an integer'],
    ],
    [
      'a quoted app_port',
      (t: string) => replace(t, /app_port: &app_port \d+/, 'app_port: &app_port "3000"'),
      ['proxy/app_port: should be an integer'],
    ],
    [
      'ssl as a string',
      (t: string) => replace(t, 'ssl: true', 'ssl: "on"'),
      ['proxy/ssl: should be a boolean or a hash'],
    ],
    [
      'host and hosts together',
      (t: string) => replace(t, '  hosts:\n', '  host: demo.example.com\n  hosts:\n'),
      ["proxy: Specify one of 'host' or 'hosts', not both"],
    ],
    [
      'ssl without a host',
      (t: string) => replace(t, / {2}hosts:\n( {4}- .*\n)+/, ''),
      ['proxy: Must set a host to enable automatic SSL'],
    ],
    [
      'a password of two secrets',
      (t: string) => replace(t, '    - KAMAL_REGISTRY_PASSWORD\n', '    - A\n    - B\n'),
      ['registry/password: should be a string or an array with one string (for secret lookup)'],
    ],
    ['no builder arch', (t: string) => replace(t, '  arch: amd64\n', ''), ['builder/arch: is required']],
    [
      'an env key beside clear',
      (t: string) => replace(t, 'env:\n  clear:\n', 'env:\n  PORT: 3000\n  clear:\n'),
      ['env: unknown key: PORT'],
    ],
    ['no service', (t: string) => replace(t, 'service: upgate-demo\n', ''), ['service: is required']],
  ])('%s', (_name, edit, expected) => {
    expect(problemsOf(edit(TEXT))).toEqual(expected);
  });
});
