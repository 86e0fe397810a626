/**
 * Starting the built demo: the development defaults of a fresh clone, and the settings that stop
 * it in production with the reason.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { readKamalDeployFile } from '@upgate/config/kamal';
import { cleanUp, deployCopy, freePort, get, replace, spawnDemo, withAppPort } from './support/demo-process.js';

afterAll(cleanUp);

/** Waits for the start-up lines (or the exit) of a demo. */
async function started(demo: ReturnType<typeof spawnDemo>, timeoutMs = 20_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!demo.output().includes('trusts X-Forwarded-Host from')) {
    if (performance.now() > until) throw new Error(`no start-up lines after ${timeoutMs} ms:\n${demo.output()}`);
    const exited = await Promise.race([demo.exited, new Promise((done) => setTimeout(() => done(undefined), 100))]);
    if (exited) throw new Error(`the demo exited: ${JSON.stringify(exited)}\n${demo.output()}`);
  }
}

describe('development (NODE_ENV unset): what `npm start` gives on a fresh clone', () => {
  it("allows localhost and the deploy file's hosts, takes PORT over proxy.app_port, and warns that production would not", async () => {
    const port = await freePort();
    const deployFile = deployCopy();
    const deploy = readKamalDeployFile(deployFile);
    const demo = spawnDemo({ PORT: String(port), DEPLOY_FILE: deployFile });
    await started(demo);
    const output = demo.output();
    expect(output).toContain(`listening on http://localhost:${port} (all interfaces, NODE_ENV development)`);
    expect(output).toContain(
      `allowed hosts: .localhost, 127.0.0.1, [::1], ${deploy.proxy.hosts.join(', ')} (from upgate's development hosts plus ${deployFile}:${deploy.locate('proxy.hosts')?.line}: proxy.hosts)`,
    );
    expect(output).toContain('probe paths: /up (liveness, no checks; from');
    expect(output).toContain(`port: ${port} (from PORT)`);
    expect(output).toContain(
      `WARN [upgate] PORT: "${port}" differs from proxy.app_port 3000 (${deployFile}:${deploy.locate('proxy.app_port')?.line}), the port kamal-proxy sends requests and probes to; make them equal (only development starts with this)\n`,
    );
    const adminHost = deploy.proxy.hosts.find((h) => h.startsWith('admin.')) ?? 'no admin host in the deploy file';
    expect(output).toContain(`admin API: /admin/stats on ${adminHost} only`);

    expect((await get(port, '/api/items', { host: `localhost:${port}` })).status).toBe(200);
    expect((await get(port, '/api/items', { host: `127.0.0.1:${port}` })).status).toBe(200);
    expect((await get(port, '/api/items', { host: deploy.proxy.hosts[0] })).status).toBe(200);
    expect((await get(port, '/admin/stats', { host: adminHost })).status).toBe(200);
    expect((await get(port, '/admin/stats', { host: `localhost:${port}` })).status).toBe(400);
    expect((await get(port, '/api/items', { host: 'evil.example' })).status).toBe(400);
    const reset = await get(port, '/api/password-resets', {
      host: `localhost:${port}`,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"email":"ada@example.com"}',
    });
    expect(JSON.parse(reset.body).resetUrl).toMatch(new RegExp(`^http://localhost:${port}/reset-password\\?token=`));
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toMatchObject({ code: 0, signal: null });
  });
});

describe('production: settings that stop the demo, and say which setting to give', () => {
  it('refuses to start without allowed hosts, naming ALLOWED_HOSTS', async () => {
    const demo = spawnDemo({ NODE_ENV: 'production', DEPLOY_FILE: 'none' });
    const exit = await demo.exited;
    expect(exit.code).toBe(1);
    expect(demo.output()).toBe(
      'upgate-demo: not starting.\n' +
        'upgate: invalid settings (1 problem):\n' +
        '  - allowed hosts: are empty, which only development allows (NODE_ENV is "production"); ' +
        'give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in a Kamal deploy file (the deployFile option)\n',
    );
  });

  it('refuses to start when the deploy file has no host and ALLOWED_HOSTS is not given', async () => {
    const deployFile = deployCopy((text) =>
      replace(replace(text, / {2}hosts:\n( {4}- .*\n)+/, ''), '  ssl: true\n', ''),
    );
    const demo = spawnDemo({ NODE_ENV: 'production', DEPLOY_FILE: deployFile });
    expect((await demo.exited).code).toBe(1);
    expect(demo.output()).toContain(
      'give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in ',
    );
  });

  it('refuses a PORT that is not proxy.app_port, where kamal-proxy would send requests', async () => {
    const port = await freePort();
    const deployFile = deployCopy(withAppPort(port));
    const demo = spawnDemo({ NODE_ENV: 'production', DEPLOY_FILE: deployFile, PORT: String(port + 1) });
    expect((await demo.exited).code).toBe(1);
    const line = readKamalDeployFile(deployFile).locate('proxy.app_port')?.line;
    expect(demo.output()).toContain(
      `  - PORT: "${port + 1}" differs from proxy.app_port ${port} (${deployFile}:${line}), the port kamal-proxy sends requests and probes to; make them equal\n`,
    );
  });

  it('refuses HEALTH_PROBE_PATHS that leave out the path kamal-proxy checks', async () => {
    const port = await freePort();
    const demo = spawnDemo({
      NODE_ENV: 'production',
      DEPLOY_FILE: deployCopy(withAppPort(port)),
      HEALTH_PROBE_PATHS: '/healthz',
    });
    expect((await demo.exited).code).toBe(1);
    expect(demo.output()).toContain('  - HEALTH_PROBE_PATHS: "/healthz" leaves out "/up", the path kamal-proxy checks');
  });
});
