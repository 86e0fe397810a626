/**
 * Where the demo's settings come from, in development and in production (in-process: the start-up
 * tests spawn the app for the same paths end to end).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UpgateConfigError } from '@upgate/config';
import { loadDemoSettings } from '../src/settings/demo-settings.js';
import { cleanUp, DEPLOY_YML, deployCopy, replace } from './support/demo-process.js';

afterAll(cleanUp);

const HOSTS = ['demo.example.com', 'admin.demo.example.com'];
const LOCAL = ['.localhost', '127.0.0.1', '[::1]'];

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadDemoSettings(env);
  } catch (error) {
    if (error instanceof UpgateConfigError) return error.problems.map((p) => `${p.setting}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('development', () => {
  it("allows the local hosts and the deploy file's, answers /up and /ready, listens on proxy.app_port", () => {
    const settings = loadDemoSettings({ DEPLOY_FILE: DEPLOY_YML });
    expect(settings.upgate.allowedHosts).toEqual([...LOCAL, ...HOSTS]);
    expect(settings.upgate.probePaths).toEqual(['/up', '/ready']);
    expect(settings.livenessPaths).toEqual(['/up']);
    expect(settings.port).toBe(3000);
    expect(settings.adminHosts).toEqual(['admin.demo.example.com', 'admin.localhost']);
    expect(settings.publicScheme).toBe('http');
  });

  it('lets PORT and ALLOWED_HOSTS win without the production cross-checks', () => {
    const settings = loadDemoSettings({ DEPLOY_FILE: DEPLOY_YML, PORT: '4000', ALLOWED_HOSTS: 'localhost' });
    expect(settings.port).toBe(4000);
    expect(settings.upgate.allowedHosts).toEqual(['localhost']);
    expect(settings.origins).toEqual({
      allowedHosts: 'ALLOWED_HOSTS',
      probePaths: expect.stringContaining('proxy.healthcheck.path'),
      port: 'PORT',
    });
  });

  it("runs on upgate's defaults without a deploy file", () => {
    const settings = loadDemoSettings({ DEPLOY_FILE: 'none' });
    expect(settings.upgate.allowedHosts).toEqual(LOCAL);
    expect(settings.port).toBe(3000);
    expect(settings.adminHosts).toEqual(['admin.localhost']);
    expect(settings.deployFile).toBeUndefined();
  });

  it('still reports a bad variable', () => {
    expect(problemsOf({ DEPLOY_FILE: DEPLOY_YML, PORT: 'eighty' })).toEqual([
      'PORT: must be an integer port from 1 to 65535, e.g. 3000',
    ]);
  });
});

describe('production', () => {
  it('takes hosts, probe path and port from the deploy file, and https for links behind proxy.ssl', () => {
    const settings = loadDemoSettings({ NODE_ENV: 'production', DEPLOY_FILE: DEPLOY_YML });
    expect(settings.upgate.allowedHosts).toEqual(HOSTS);
    expect(settings.upgate.environment).toBe('production');
    expect(settings.port).toBe(3000);
    expect(settings.adminHosts).toEqual(['admin.demo.example.com']);
    expect(settings.publicScheme).toBe('https');
  });

  it('merges the destination overlay (DEPLOY_DESTINATION), as kamal -d does', () => {
    const file = deployCopy();
    writeFileSync(
      join(dirname(file), 'deploy.staging.yml'),
      'proxy:\n  hosts:\n    - staging.example.com\n    - admin.staging.example.com\n',
    );
    const settings = loadDemoSettings({ NODE_ENV: 'production', DEPLOY_FILE: file, DEPLOY_DESTINATION: 'staging' });
    expect(settings.upgate.allowedHosts).toEqual(['staging.example.com', 'admin.staging.example.com']);
    expect(settings.adminHosts).toEqual(['admin.staging.example.com']);
  });

  it('refuses an ALLOWED_HOSTS that leaves out a proxy host', () => {
    const [problem] = problemsOf({
      NODE_ENV: 'production',
      DEPLOY_FILE: DEPLOY_YML,
      ALLOWED_HOSTS: 'demo.example.com',
    });
    expect(problem).toMatch(
      /^ALLOWED_HOSTS: does not allow "admin\.demo\.example\.com", which kamal-proxy routes to this app/,
    );
  });

  it('reports a deploy file Kamal would reject, with its file and line', () => {
    const file = deployCopy((text) => replace(text, '  healthcheck:\n', '  helthcheck:\n'));
    expect(problemsOf({ NODE_ENV: 'production', DEPLOY_FILE: file })).toEqual([
      expect.stringMatching(
        /:25: proxy\.helthcheck: is not a Kamal proxy setting \(Kamal rejects unknown keys\); did you mean healthcheck\?$/,
      ),
    ]);
  });
});
