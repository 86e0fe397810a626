/**
 * Where the demo's settings come from, in development and in production: the demo gives
 * HealthModule its deploy file and nothing else, and the module resolves the rest (in-process; the
 * start-up tests spawn the app for the same paths end to end).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatConfigProblem, UpgateConfigError } from '@upgate/config';
import { publicScheme } from '../src/settings/public-scheme.js';
import { cleanUp, DEPLOY_YML, deployCopy, replace } from './support/demo-process.js';
import { startWith } from './support/demo-in-process.js';

afterAll(cleanUp);

const HOSTS = ['demo.example.com', 'admin.demo.example.com'];
const LOCAL = ['.localhost', '127.0.0.1', '[::1]'];

async function problemsOf(env: Record<string, string>): Promise<string[]> {
  try {
    await startWith(env);
  } catch (error) {
    if (error instanceof UpgateConfigError) return error.problems.map(formatConfigProblem);
    throw error;
  }
  return [];
}

describe('development (NODE_ENV unset)', () => {
  it("allows the local hosts and the deploy file's, answers /up and /ready, listens on proxy.app_port, warns of nothing", async () => {
    const { resolution, warnings, admin } = await startWith({ DEPLOY_FILE: DEPLOY_YML });
    expect(resolution.settings).toMatchObject({
      allowedHosts: [...LOCAL, ...HOSTS],
      probePaths: ['/up', '/ready', '/startup'],
      port: 3000,
      environment: 'development',
    });
    expect(resolution.origins.allowedHosts.map((origin) => origin.name)).toEqual([
      "upgate's development hosts",
      expect.stringMatching(/config\/deploy\.yml:17: proxy\.hosts$/),
    ]);
    expect(warnings).toEqual([]);
    expect(admin).toEqual(['admin.demo.example.com']);
    expect(publicScheme(resolution)).toBe('http');
  });

  it('lets PORT and ALLOWED_HOSTS win, saying in a warning what production would refuse', async () => {
    const { resolution, warnings } = await startWith({
      DEPLOY_FILE: DEPLOY_YML,
      PORT: '4000',
      ALLOWED_HOSTS: 'localhost',
    });
    expect(resolution.settings).toMatchObject({ port: 4000, allowedHosts: ['localhost'] });
    expect(resolution.origins.port).toEqual([{ source: 'environment', key: 'PORT', name: 'PORT' }]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^PORT: "4000" differs from proxy\.app_port 3000 \(.*config\/deploy\.yml:21\), the port kamal-proxy sends requests and probes to; make them equal \(only development starts with this\)$/,
      ),
      expect.stringMatching(
        /^ALLOWED_HOSTS: "localhost" does not allow "demo\.example\.com", "admin\.demo\.example\.com", which kamal-proxy routes to this app .* \(only development starts with this\)$/,
      ),
    ]);
  });

  it("runs on upgate's defaults without a deploy file", async () => {
    const { resolution, admin } = await startWith({ DEPLOY_FILE: 'none' });
    expect(resolution.settings?.allowedHosts).toEqual(LOCAL);
    expect(resolution.settings?.port).toBeUndefined();
    expect(resolution.deployFile).toBeUndefined();
    expect(admin).toEqual([]);
  });

  it('still reports a bad variable', async () => {
    expect(await problemsOf({ DEPLOY_FILE: DEPLOY_YML, PORT: 'eighty' })).toEqual([
      'PORT: "eighty" must be an integer port from 1 to 65535, e.g. 3000',
    ]);
  });
});

describe('production', () => {
  it('takes hosts, probe path and port from the deploy file, and https for links behind proxy.ssl', async () => {
    const { resolution, warnings, admin } = await startWith({ NODE_ENV: 'production', DEPLOY_FILE: DEPLOY_YML });
    expect(resolution.settings).toMatchObject({ allowedHosts: HOSTS, environment: 'production', port: 3000 });
    expect(warnings).toEqual([]);
    expect(admin).toEqual(['admin.demo.example.com']);
    expect(publicScheme(resolution)).toBe('https');
  });

  it('merges the destination overlay of KAMAL_DESTINATION, which Kamal sets in the container for kamal deploy -d', async () => {
    const file = deployCopy();
    writeFileSync(
      join(dirname(file), 'deploy.staging.yml'),
      'proxy:\n  hosts:\n    - staging.example.com\n    - admin.staging.example.com\n',
    );
    const { resolution, admin } = await startWith({
      NODE_ENV: 'production',
      DEPLOY_FILE: file,
      KAMAL_DESTINATION: 'staging',
    });
    expect(resolution.settings?.allowedHosts).toEqual(['staging.example.com', 'admin.staging.example.com']);
    expect(admin).toEqual(['admin.staging.example.com']);
  });

  it('refuses an ALLOWED_HOSTS that leaves out a proxy host', async () => {
    const [problem] = await problemsOf({
      NODE_ENV: 'production',
      DEPLOY_FILE: DEPLOY_YML,
      ALLOWED_HOSTS: 'demo.example.com',
    });
    expect(problem).toMatch(
      /^ALLOWED_HOSTS: "demo\.example\.com" does not allow "admin\.demo\.example\.com", which kamal-proxy routes to this app/,
    );
  });

  it('reports a deploy file Kamal would reject, with its file and line, with the other problems', async () => {
    const file = deployCopy((text) => replace(text, '  healthcheck:\n', '  helthcheck:\n'));
    expect(await problemsOf({ NODE_ENV: 'production', DEPLOY_FILE: file, TRUST_PROXY: 'yes' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY: "yes" is not true or false;/),
      expect.stringMatching(
        /:25: proxy\.helthcheck: is not a Kamal proxy setting \(Kamal rejects unknown keys\); did you mean healthcheck\?$/,
      ),
    ]);
  });
});
