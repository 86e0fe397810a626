/**
 * The built demo, started as Kamal starts it (NODE_ENV=production, settings from config/deploy.yml),
 * put through what kamal-proxy does during a deploy, then through what clients do.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readKamalDeployFile } from '@upgate/config/kamal';
import {
  CONTAINER_ID,
  cleanUp,
  deployCopy,
  type DemoProcess,
  freePort,
  get,
  type HealthCheckResult,
  kamalProxyHealthCheck,
  spawnDemo,
  withAppPort,
} from './support/demo-process.js';
import { resetCatalogue } from './support/test-database.js';

afterAll(cleanUp);

describe('the demo deployed with Kamal: production settings from config/deploy.yml', () => {
  let port: number;
  let demo: DemoProcess;
  let health: HealthCheckResult;
  let publicHost: string;
  let adminHost: string;
  let deployFile: string;
  let lineOf: (key: string) => number | undefined;

  beforeAll(async () => {
    // The catalogue the tests below expect: the three seeded items, ids from 1.
    await resetCatalogue();
    port = await freePort();
    deployFile = deployCopy(withAppPort(port));
    const deploy = readKamalDeployFile(deployFile);
    // The hosts under test are the deploy file's, not written again here.
    publicHost = deploy.proxy.hosts.find((host) => !host.startsWith('admin.')) ?? 'no public host in the deploy file';
    adminHost = deploy.proxy.hosts.find((host) => host.startsWith('admin.')) ?? 'no admin host in the deploy file';
    lineOf = (key) => deploy.locate(key)?.line;
    demo = spawnDemo({ NODE_ENV: 'production', DEPLOY_FILE: deployFile });
    health = await kamalProxyHealthCheck(port, demo, { path: deploy.proxy.healthcheck.path });
  });

  it("passes kamal-proxy's health check (Host <container-id>:<app_port>, User-Agent kamal-proxy) within the deploy timeout", () => {
    expect(health.status).toBe(200);
    expect(health.body).toBe('{"status":"ok"}');
    expect(health.elapsedMs).toBeLessThan(30_000);
  });

  it('says at start-up where it listens, which hosts it allows and which paths are probes, naming the deploy file', () => {
    const output = demo.output();
    expect(output).toContain(`listening on http://localhost:${port} (all interfaces, NODE_ENV production)`);
    expect(output).toContain(
      `allowed hosts: ${publicHost}, ${adminHost} (from ${deployFile}:${lineOf('proxy.hosts')}: proxy.hosts)`,
    );
    expect(output).toContain(
      `probe paths: /up (liveness, no checks; from ${deployFile}:${lineOf('proxy.healthcheck.path')}: proxy.healthcheck.path), /ready (readiness: heap under 512 MiB, disk under 95% used, PostgreSQL answering; 503 in maintenance), /startup (startup: the catalogue's table is there)`,
    );
    expect(output).toContain(`port: ${port} (from ${deployFile}:${lineOf('proxy.app_port')}: proxy.app_port)`);
    expect(output).toContain(`admin API: /admin/stats on ${adminHost} only`);
  });

  it('answers the readiness probe, with its memory, disk and database checks, whatever the Host', async () => {
    const ready = await get(port, '/ready', { host: `${CONTAINER_ID}:${port}` });
    expect(ready).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    expect(ready.headers['cache-control']).toBe('no-store');
  });

  it('serves the API on the public host', async () => {
    const list = await get(port, '/api/items', { host: publicHost });
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)).toEqual([
      { id: 1, name: 'Kettle', priceCents: 2900 },
      { id: 2, name: 'Teapot', priceCents: 3400 },
      { id: 3, name: 'Tea towel', priceCents: 900 },
    ]);
    const created = await get(port, '/api/items', {
      host: publicHost,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Mug', priceCents: 1200 }),
    });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toEqual({ id: 4, name: 'Mug', priceCents: 1200 });
    const invalid = await get(port, '/api/items', {
      host: publicHost,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":""}',
    });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).message).toEqual([
      'name must be a non-empty string of at most 100 characters',
      'priceCents must be a whole number of cents, 0 or more',
    ]);
    expect((await get(port, '/api/items/99', { host: publicHost })).status).toBe(404);
  });

  it("rejects the API with 400 for kamal-proxy's container Host, before the app's routes", async () => {
    const reply = await get(port, '/api/items', { host: `${CONTAINER_ID}:${port}` });
    expect(reply.status).toBe(400);
    expect(reply.body).not.toContain('Kettle');
    expect(reply.body).not.toContain(CONTAINER_ID);
  });

  it('builds absolute URLs from the checked host only: never a disallowed one', async () => {
    const reset = (host: string, headers: Record<string, string> = {}) =>
      get(port, '/api/password-resets', {
        host,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ email: 'ada@example.com' }),
      });
    const ok = await reset(publicHost);
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.body).resetUrl).toMatch(
      new RegExp(`^https://${publicHost.replace(/\./g, '\\.')}/reset-password\\?token=[0-9a-f]{32}$`),
    );

    // Normalised, not echoed: upper case and a trailing dot are the same allowed host.
    const shouting = await reset(`${publicHost.toUpperCase()}.`);
    expect(JSON.parse(shouting.body).resetUrl).toMatch(
      new RegExp(`^https://${publicHost.replace(/\./g, '\\.')}/reset-password`),
    );

    for (const evil of ['evil.example', `${publicHost}.evil.example`, `evil.example/${publicHost}`]) {
      const rejected = await reset(evil);
      expect(rejected.status).toBe(400);
      expect(rejected.body).not.toContain('evil.example');
    }
    // X-Forwarded-Host is not believed (TRUST_PROXY is off): the link keeps the checked Host.
    const forwarded = await reset(publicHost, { 'X-Forwarded-Host': 'evil.example' });
    expect(forwarded.status).toBe(202);
    expect(forwarded.body).not.toContain('evil.example');
    expect(JSON.parse(forwarded.body).resetUrl).toMatch(new RegExp(`^https://${publicHost.replace(/\./g, '\\.')}/`));
  });

  it('serves the admin API on the admin host only', async () => {
    const admin = await get(port, '/admin/stats', { host: adminHost });
    expect(admin.status).toBe(200);
    expect(JSON.parse(admin.body)).toMatchObject({ items: expect.any(Number), uptimeSeconds: expect.any(Number) });
    const onPublic = await get(port, '/admin/stats', { host: publicHost });
    expect(onPublic.status).toBe(400);
    expect(onPublic.body).not.toContain('uptimeSeconds');
  });
});
