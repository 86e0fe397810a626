import { setTimeout as sleep } from 'node:timers/promises';
import { REJECTION_LOG_LINES_PER_WINDOW } from '../src/index.js';
import { RejectionLog } from '../src/gate/rejection-log.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, startApp, type TestApp } from './support/test-app.js';

/**
 * What an operator reads about rejected hosts: one warn line per value per window, with the reason
 * and the fix, escaped; and a bounded number of lines, whatever a flood sends.
 */

const FIX_EVIL = "well-formed but matches no entry of the allowed hosts; fix: add 'evil.com' to the allowed hosts";

async function flood(port: number, count: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const res = await rawRequest(port, {
        target: '/',
        headers: [['Host', `r${i}-${Math.random().toString(36).slice(2)}.example.net`]],
      });
      statuses.push(res.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

describe.each(ADAPTERS)('rejection log over %s', (adapter: AdapterName) => {
  describe('one line per value per window', () => {
    let t: TestApp;
    let logger: CapturingLogger;
    beforeAll(async () => {
      logger = new CapturingLogger();
      t = await startApp(adapter, {
        health: { allowedHosts: ['app.example.com'], environment: 'production', logger, rejectLogWindowMs: 400 },
      });
    });
    afterAll(() => t.close());

    test('the same value is logged once within the window, again after it; each line names the fix', async () => {
      for (let i = 0; i < 3; i++) await rawRequest(t.port, { target: '/x', headers: [['Host', 'evil.com']] });
      await rawRequest(t.port, {
        target: '/y?z=1',
        headers: [
          ['Host', 'app.example.com:8080'],
          ['X-Forwarded-Host', 'evil.com'],
        ],
      });
      expect(logger.messages('warn')).toEqual([
        `Rejected Host 'evil.com' with 400 (GET /x from 127.0.0.1): ${FIX_EVIL}`,
      ]);
      expect(logger.lines.find((l) => l.level === 'warn')?.context).toBe('upgate');

      await sleep(450);
      // The window's end brings the count of the two repeats, then the value may be logged again.
      await rawRequest(t.port, { method: 'POST', target: '/again', headers: [['Host', 'evil.com']] });
      expect(logger.messages('warn').slice(1)).toEqual([
        '2 more host rejections suppressed in the last 400 ms (a host value is logged once per 400 ms, at most 100 lines per 400 ms)',
        `Rejected Host 'evil.com' with 400 (POST /again from 127.0.0.1): ${FIX_EVIL}`,
      ]);
    });

    test('a malformed value is escaped and cut to 100 characters in the log, and not echoed in the body', async () => {
      logger.lines.length = 0;
      const long = `${'a'.repeat(120)}.example.com`;
      // (A control byte in the request line never gets this far: Node's parser refuses it with a 400.)
      const tab = await rawRequest(t.port, { target: '/%1b[31m', headers: [['Host', 'evil.com\tx']] });
      const cut = await rawRequest(t.port, {
        target: '/',
        headers: [
          ['Host', long],
          ['X-Forwarded-Host', 'z'],
        ],
      });
      expect(tab.body).not.toContain('evil');
      expect(cut.body).not.toContain('aaaa');
      expect(logger.messages('warn')).toEqual([
        "Rejected Host 'evil.com\\tx' with 400 (GET /%1b[31m from 127.0.0.1): character '\\t' not allowed; fix: none in the allowlist: a malformed host is never allowed; if a real client sends it, fix that client or the proxy in front of it",
        `Rejected Host '${'a'.repeat(100)}...' with 400 (GET / from 127.0.0.1): name needs labels of 1-63 of a-z 0-9 - _; fix: none in the allowlist: a malformed host is never allowed; if a real client sends it, fix that client or the proxy in front of it`,
      ]);
    });
  });

  test(`a flood of 10,000 distinct values writes ${REJECTION_LOG_LINES_PER_WINDOW} lines and one summary, and remembers a bounded number of values`, async () => {
    const logger = new CapturingLogger();
    const t = await startApp(adapter, {
      health: { allowedHosts: ['app.example.com'], environment: 'production', logger },
    });
    const statuses = await flood(t.port, 10_000, 32);
    expect(statuses.filter((s) => s === 400)).toHaveLength(10_000);
    expect(t.app.get(RejectionLog).remembered).toBeLessThanOrEqual(2 * REJECTION_LOG_LINES_PER_WINDOW);
    // Closing the app ends the window: the summary is written then at the latest.
    await t.close();
    const warns = logger.messages('warn');
    expect(warns).toHaveLength(REJECTION_LOG_LINES_PER_WINDOW + 1);
    expect(
      warns
        .slice(0, -1)
        .every((line) =>
          /^Rejected Host 'r\d+-[a-z0-9]+\.example\.net' with 400 \(GET \/ from 127\.0\.0\.1\)/.test(line),
        ),
    ).toBe(true);
    expect(warns.at(-1)).toBe(
      `${10_000 - REJECTION_LOG_LINES_PER_WINDOW} more host rejections suppressed in the last 60 s (a host value is logged once per 60 s, at most 100 lines per 60 s)`,
    );
  }, 60_000);
});
