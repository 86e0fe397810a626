/**
 * `docker stop`: SIGTERM, and SIGKILL 10 s later. The demo must finish what it is doing, tell
 * probers it is going, let go of idle connections, and exit 0 well before the SIGKILL.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'node:http';
import { readKamalDeployFile } from '@upgate/config/kamal';
import {
  CONTAINER_ID,
  cleanUp,
  deployCopy,
  freePort,
  get,
  kamalProxyHealthCheck,
  RawConnection,
  spawnDemo,
  withAppPort,
} from './support/demo-process.js';

afterAll(cleanUp);

/** Docker's default stop timeout. */
const DOCKER_STOP_TIMEOUT_MS = 10_000;
const WORK_MS = 1500;
const IN_FLIGHT = 5;

describe('the demo on SIGTERM, with requests in flight', () => {
  it('finishes them all, answers probes 503 meanwhile, closes idle keep-alive connections, and exits 0 within the stop timeout', async () => {
    const port = await freePort();
    const deployFile = deployCopy(withAppPort(port));
    const publicHost = readKamalDeployFile(deployFile).proxy.hosts[0] ?? 'no host in the deploy file';
    const demo = spawnDemo({ NODE_ENV: 'production', DEPLOY_FILE: deployFile });
    await kamalProxyHealthCheck(port, demo);

    // An idle keep-alive connection (a browser's, or a load balancer's pool).
    const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(port, '/api/items', { host: publicHost, agent: idleAgent })).status).toBe(200);
    const [idleSocket] = Object.values(idleAgent.freeSockets).flat();
    if (!idleSocket) throw new Error('the keep-alive connection was not kept');
    const idleClosed = new Promise<number>((done) => idleSocket.once('close', () => done(performance.now())));

    // Requests that are being worked on when the signal comes.
    const busyAgent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const inFlight = Array.from({ length: IN_FLIGHT }, () =>
      get(port, `/api/work?ms=${WORK_MS}`, {
        host: publicHost,
        agent: busyAgent,
        timeoutMs: DOCKER_STOP_TIMEOUT_MS,
      }).then((reply) => ({
        reply,
        at: performance.now(),
      })),
    );
    // A prober whose request is on the wire when the signal comes: all but its last CRLF is sent,
    // so its connection is neither idle (closed at once) nor answered yet.
    const prober = await RawConnection.open(port);
    prober.write(`GET /up HTTP/1.1\r\nHost: ${CONTAINER_ID}:${port}\r\nUser-Agent: kamal-proxy\r\n`);
    await new Promise((done) => setTimeout(done, 300));

    const signalled = performance.now();
    demo.child.kill('SIGTERM');
    // The server closes idle connections when the shutdown has begun: then the probe goes on.
    const idleClosedAt = await idleClosed;
    prober.write('\r\n');
    const probeReply = await prober.closedByServer();
    const probeAnsweredAt = performance.now();

    const done = await Promise.all(inFlight);
    const exit = await demo.exited;

    // Not one in-flight request failed; each ran its full course.
    for (const { reply } of done) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).tookMs).toBeGreaterThanOrEqual(WORK_MS - 10);
      expect(reply.headers['connection']).toBe('close');
    }
    // The probe, during the drain: 503, not cached, and the connection closed after it.
    expect(probeReply).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(probeReply.toLowerCase()).toContain('\r\ncache-control: no-store\r\n');
    expect(probeReply.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(probeAnsweredAt).toBeLessThan(Math.min(...done.map((d) => d.at)));
    // The idle connection went at once, not after the in-flight requests (nor its 5 s idle timeout).
    expect(idleClosedAt - signalled).toBeLessThan(WORK_MS / 2);
    // Exit status 0, by itself, well inside Docker's 10 s.
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalled).toBeLessThan(DOCKER_STOP_TIMEOUT_MS / 2);
    idleAgent.destroy();
    busyAgent.destroy();
  });
});
