/**
 * Fuzz and abuse: 60,000 generated requests (10,000 to warm up, then 50,000) over raw sockets against
 * the built demo with production settings, plus slowloris clients, with a seeded PRNG (the seed is
 * printed; FUZZ_SEED=<seed> replays a run).
 *
 * The demo is spawned as it runs in a container (node dist/main.js, NODE_ENV=production, the deploy
 * file's hosts), with TRUST_PROXY=loopback so that X-Forwarded-Host chains are checked rather than
 * ignored, and with an app-side counter preloaded (fuzz/count-app-requests.mjs) that records the id
 * of every request reaching Express: both sides are counted, the client's answers and the app's
 * entries, and compared request by request. FUZZ_DUMP=<file> writes every request that broke its
 * expectation, with what it got.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { readKamalDeployFile } from '@upgate/config/kamal';
import {
  DISALLOWED_HOST_MESSAGE,
  MALFORMED_HOST_MESSAGE,
  REJECTION_LOG_LINES_PER_WINDOW,
  DEFAULT_REJECT_LOG_WINDOW_MS,
} from '@upgate/health';
import { READINESS_PATH } from '../src/settings/demo-settings.js';
import { CountedDemo, type DemoStats, type Exit, hasId } from './fuzz/counted-demo.js';
import { type FuzzRequest, FuzzRequestGenerator, isProbeTarget } from './fuzz/fuzz-requests.js';
import {
  type Outcome,
  type RawConnection,
  type RawResponse,
  sendAll,
  sendSlowly,
  stall,
} from './fuzz/raw-http-client.js';
import { SeededRandom } from './fuzz/seeded-random.js';
import { cleanUp, deployCopy, freePort, get, withAppPort } from './support/demo-process.js';

const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : randomInt(2 ** 31);
const WARM_UP = 10_000;
const REQUESTS = 50_000;
const SLOW_REQUESTS = 40;
const STALLED = 60;
const ABANDONED = 20;
const SEND = { connections: 64, pipelineDepth: 16, timeoutMs: 10_000 } as const;
/** RSS after the run over RSS after the warm-up, both after full collections. */
const RSS_RATIO_LIMIT = 1.2;
/** Longest warn line: the value is cut to 100 characters, the path too; the rest is fixed text. */
const WARN_LINE_MAX_CHARS = 700;

type Verdict = 'app' | 'probe answer' | 'layer rejection' | 'parser rejection' | 'no answer' | 'unexplained';

interface Run {
  readonly port: number;
  readonly probePaths: readonly string[];
  readonly outcomes: readonly Outcome[];
  readonly slow: readonly Outcome[];
  readonly stalledIds: readonly number[];
  readonly stalledClosedByServer: number;
  readonly before: DemoStats;
  readonly after: DemoStats;
  readonly reached: Uint8Array;
  readonly exitBeforeSignal: Exit | undefined;
  readonly exit: Exit;
  /** What a kamal-proxy probe got in each round while the stalled connections were held. */
  readonly probesWhileStalled: readonly number[];
  readonly output: string;
  readonly mainMs: number;
  readonly totalMs: number;
}

interface Round {
  readonly outcomes: readonly Outcome[];
  readonly slow: readonly Outcome[];
  readonly stalledIds: readonly number[];
  readonly stalledClosedByServer: number;
  readonly probeStatus: number;
  readonly ms: number;
}

let run: Run;
afterAll(cleanUp);

beforeAll(async () => {
  const began = performance.now();
  const port = await freePort();
  const deployFile = deployCopy(withAppPort(port));
  const deploy = readKamalDeployFile(deployFile);
  const probePaths = [deploy.proxy.healthcheck.path, READINESS_PATH];
  const demo = CountedDemo.start({ NODE_ENV: 'production', DEPLOY_FILE: deployFile, TRUST_PROXY: 'loopback' });
  try {
    await demo.started();
    const generator = new FuzzRequestGenerator(SEED, { allowedHosts: deploy.proxy.hosts, probePaths, port });

    const r = new SeededRandom(SEED ^ 0x5eed);
    let nextId = 0;
    /**
     * One round of abuse: `count` generated requests, and meanwhile slowloris clients: connections
     * that stop part-way through their headers and stay open, requests dribbled a few bytes at a
     * time, and requests abandoned part-way. The warm-up is a round of the same shape, so that the
     * memory measured after it and after the main round compares like with like (pools of parsers
     * and sockets sized by the same concurrency).
     */
    const round = async (count: number): Promise<Round> => {
      const requests = Array.from({ length: count }, () => generator.request(nextId++));
      const stalledIds: number[] = [];
      const stalled: RawConnection[] = [];
      for (let i = 0; i < STALLED; i++) {
        const request = generator.request(nextId++);
        stalledIds.push(request.id);
        stalled.push(await stall(port, request, r.int(1, headerEnd(request) - 1)));
      }
      const slowRequests: FuzzRequest[] = [];
      while (slowRequests.length < SLOW_REQUESTS + ABANDONED) {
        const request = generator.request(nextId++);
        if (request.bytes.length <= 400) slowRequests.push(request);
      }
      // At most 400 bytes, 2 every 30 ms: each is sent within 6 s, well inside its 20 s.
      const slowDone = Promise.all(
        slowRequests
          .slice(0, SLOW_REQUESTS)
          .map((request) =>
            sendSlowly(port, request, { chunkBytes: r.int(2, 6), delayMs: r.int(10, 30), timeoutMs: 20_000 }),
          ),
      );
      const abandoned = slowRequests.slice(SLOW_REQUESTS);
      const abandonedDone = Promise.all(
        abandoned.map(async (request) => {
          const connection = await stall(port, request, r.int(1, headerEnd(request) - 1));
          await new Promise((done) => setTimeout(done, r.int(100, 2000)));
          connection.destroy();
        }),
      );
      const sending = performance.now();
      const outcomes = await sendAll(port, requests, SEND);
      const ms = performance.now() - sending;
      const slow = await slowDone;
      await abandonedDone;
      // The stalled connections are still held: the demo must answer a prober meanwhile.
      const probe = await get(port, probePaths[0] as string, {
        host: `7c7168a662c1:${port}`,
        headers: { 'User-Agent': 'kamal-proxy' },
      });
      const stalledClosedByServer = stalled.filter((connection) => !connection.usable).length;
      for (const connection of stalled) connection.destroy();
      await Promise.all(stalled.map((connection) => connection.closed));
      return {
        outcomes,
        slow,
        stalledIds: [...stalledIds, ...abandoned.map((request) => request.id)],
        stalledClosedByServer,
        probeStatus: probe.status,
        ms,
      };
    };

    const warmUp = await round(WARM_UP);
    const before = await demo.stats({ gc: true });
    const main = await round(REQUESTS);
    const after = await demo.stats({ gc: true });
    const { reachedIds } = await demo.stats({ ids: true });
    const exitBeforeSignal = demo.exitedWith;
    demo.signal('SIGTERM');
    const exit = await demo.exited;
    run = {
      port,
      probePaths,
      outcomes: [...warmUp.outcomes, ...main.outcomes],
      slow: [...warmUp.slow, ...main.slow],
      stalledIds: [...warmUp.stalledIds, ...main.stalledIds],
      stalledClosedByServer: warmUp.stalledClosedByServer + main.stalledClosedByServer,
      before,
      after,
      reached: reachedIds ?? new Uint8Array(0),
      exitBeforeSignal,
      exit,
      probesWhileStalled: [warmUp.probeStatus, main.probeStatus],
      output: demo.text(),
      mainMs: main.ms,
      totalMs: performance.now() - began,
    };
    report(run);
  } finally {
    if (!demo.exitedWith) demo.signal('SIGKILL');
  }
}, 170_000);

/** Where the request's header block ends: a prefix shorter than this is a request Node cannot have parsed yet. */
function headerEnd(request: FuzzRequest): number {
  const ends = [request.bytes.indexOf('\r\n\r\n'), request.bytes.indexOf('\n\n')].filter((at) => at > 0);
  return ends.length > 0 ? Math.min(...ends) + 1 : request.bytes.length;
}

/**
 * The layer's own rejection: the status and exact plain-text body of spec rule 4 (for HEAD, its
 * length), and the connection closed. A request that looks like a platform's health check (a
 * health-like path with an IP:port or container-id Host) gets one more sentence naming the probe
 * path (test/e2e-prober-hints.spec.ts of @upgate/health has each whole); for HEAD, a longer length.
 */
function isLayerRejection(response: RawResponse, method: string): boolean {
  const bodies = [
    `${STATUS_CODES[response.status]}: ${DISALLOWED_HOST_MESSAGE}\n`,
    ...(response.status === 400 ? [`${MALFORMED_HOST_MESSAGE}\n`] : []),
  ];
  const body = response.body.toString('latin1');
  const length = Number(response.headers['content-length']);
  const withHint = (plain: string, text: string): boolean =>
    text.startsWith(`${plain.trimEnd()} This looks like `) && text.endsWith('.\n') && !text.slice(0, -1).includes('\n');
  const matches =
    method === 'HEAD'
      ? body === '' && bodies.some((b) => Buffer.byteLength(b) <= length)
      : bodies.includes(body) || bodies.some((b) => withHint(b, body));
  return (
    matches &&
    response.headers['content-type'] === 'text/plain; charset=utf-8' &&
    response.headers['cache-control'] === 'no-store' &&
    response.close
  );
}

/** Node's HTTP parser refusing the bytes (default `clientError` handling): a bare status, no body, connection closed. */
function isParserRejection(response: RawResponse): boolean {
  return (
    (response.status === 400 || response.status === 431) &&
    response.body.length === 0 &&
    response.headers['content-type'] === undefined &&
    response.close
  );
}

/** A probe response of the layer: JSON with a status, never cached. */
function isProbeAnswer(response: RawResponse, method: string): boolean {
  if ((response.status !== 200 && response.status !== 503) || response.headers['cache-control'] !== 'no-store')
    return false;
  if (method === 'HEAD') return response.body.length === 0;
  try {
    return typeof (JSON.parse(response.body.toString('utf8')) as { status?: unknown }).status === 'string';
  } catch {
    return false;
  }
}

function verdict(outcome: Outcome, reached: Uint8Array): Verdict {
  const { request, response } = outcome;
  if (hasId(reached, request.id)) return response ? 'app' : 'unexplained';
  if (!response) return 'no answer';
  if (isLayerRejection(response, request.method)) return 'layer rejection';
  if (isParserRejection(response)) return 'parser rejection';
  if (isProbeAnswer(response, request.method)) return 'probe answer';
  return 'unexplained';
}

/** Whether the outcome is what the request's expectation calls for; otherwise why not. */
function problemWith(outcome: Outcome, reached: Uint8Array, probePaths: readonly string[]): string | undefined {
  const { request, response } = outcome;
  const seen = verdict(outcome, reached);
  if (
    response &&
    response.status >= 500 &&
    !(seen === 'probe answer' && isProbeTarget(request.method, pathOf(request), [READINESS_PATH]))
  ) {
    return `answered ${response.status}`;
  }
  if (seen === 'unexplained') return 'neither the app nor the layer nor the parser answered it as such';
  if (seen === 'probe answer' && !isProbeTarget(request.method, pathOf(request), probePaths))
    return 'got a probe answer on a path that is not a probe path';
  switch (request.expect) {
    case 'app':
      return seen === 'app' ? undefined : `expected to reach the app, got ${seen}`;
    case 'probe':
      return seen === 'probe answer' ? undefined : `expected a probe answer from the layer, got ${seen}`;
    case 'rejected':
      if (seen === 'layer rejection' || seen === 'parser rejection') return undefined;
      if (seen === 'no answer' && request.oversized) return undefined;
      return `expected to be rejected before the app, got ${seen}`;
    case 'any':
      // Framing edge cases: the parser may refuse them, or close the connection; if the app saw one,
      // the layer allowed it (the counter's `unchecked` says).
      return seen === 'no answer' && outcome.failure !== 'closed' ? `no answer (${outcome.failure})` : undefined;
  }
}

/** The request target, from the request line. */
function pathOf(request: FuzzRequest): string {
  const line = request.bytes.toString('latin1', 0, Math.min(request.bytes.length, 4096));
  return line.split(' ')[1] ?? '';
}

function warnLines(output: string): string[] {
  return output.split('\n').filter((line) => /^\[Nest\] \d+ {2}- .* {4}WARN \[/.test(line));
}

function report(r: Run): void {
  const table = new Map<string, Record<Verdict | 'sent', number>>();
  for (const outcome of [...r.outcomes, ...r.slow]) {
    const row = table.get(outcome.request.category) ?? {
      sent: 0,
      app: 0,
      'probe answer': 0,
      'layer rejection': 0,
      'parser rejection': 0,
      'no answer': 0,
      unexplained: 0,
    };
    row.sent++;
    row[verdict(outcome, r.reached)]++;
    table.set(outcome.request.category, row);
  }
  const columns = [
    'sent',
    'app',
    'probe answer',
    'layer rejection',
    'parser rejection',
    'no answer',
    'unexplained',
  ] as const;
  const lines = [
    `fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it)`,
    `fuzz: ${r.outcomes.length} requests (${WARM_UP} warm-up + ${REQUESTS}) in ${Math.round(r.mainMs)} ms for the ${REQUESTS} (${Math.round((REQUESTS / r.mainMs) * 1000)} req/s), ` +
      `${SEND.connections} connections, pipelines up to ${SEND.pipelineDepth}; ${r.slow.length} slowloris requests, ${r.stalledIds.length} stalled or abandoned; whole test ${Math.round(r.totalMs)} ms`,
    `${'category'.padEnd(42)}${columns.map((c) => c.padStart(17)).join('')}`,
    ...[...table.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, row]) => `${category.padEnd(42)}${columns.map((c) => String(row[c]).padStart(17)).join('')}`),
    `app side: ${r.after.counts.reached} requests reached app code (unchecked ${r.after.counts.unchecked}, without id ${r.after.counts.withoutId}, twice ${r.after.counts.repeated})`,
    `memory: RSS ${mb(r.before.rss)} after warm-up, ${mb(r.after.rss)} after the run: ratio ${(r.after.rss / r.before.rss).toFixed(3)} (heap used ${mb(r.before.heapUsed)} -> ${mb(r.after.heapUsed)}, heap committed ${mb(r.before.heapTotal)} -> ${mb(r.after.heapTotal)}, external ${mb(r.before.external)} -> ${mb(r.after.external)}; gc exposed: ${r.after.gcExposed})`,
    `log: ${warnLines(r.output).length} warn lines (${warnLines(r.output).filter((l) => l.includes('Rejected ')).length} rejection lines, ${warnLines(r.output).filter((l) => l.includes('suppressed in the last')).length} summaries)`,
    `slowloris: ${r.stalledClosedByServer} of ${2 * STALLED} stalled connections closed by the server while held; probes meanwhile got ${r.probesWhileStalled.join(', ')}`,
    `exit on SIGTERM: ${JSON.stringify(r.exit)}`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  if (process.env['FUZZ_DUMP']) {
    const odd = [...r.outcomes, ...r.slow].filter((o) => problemWith(o, r.reached, r.probePaths) !== undefined);
    writeFileSync(process.env['FUZZ_DUMP'], odd.map((o) => `${describeProblem(o, r)}\n`).join(''));
  }
}

/** A request that broke its expectation, what it got, and why that is wrong. */
function describeProblem(o: Outcome, r: Run): string {
  const { request, response } = o;
  const got = response
    ? `${response.status} ${JSON.stringify(response.headers)} ${JSON.stringify(response.body.toString('latin1').slice(0, 200))}`
    : o.failure;
  return `#${request.id} ${request.category} [${request.expect}]: ${problemWith(o, r.reached, r.probePaths)}\n  ${JSON.stringify(request.bytes.toString('latin1').slice(0, 400))}\n  -> ${got}`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

describe(`fuzz: ${WARM_UP + REQUESTS} generated requests over raw sockets against the built demo (production settings)`, () => {
  it('keeps the process up (it exits 0 only on SIGTERM, at the end)', () => {
    expect(run.exitBeforeSignal).toBeUndefined();
    expect(run.exit).toEqual({ code: 0, signal: null });
    expect(run.outcomes).toHaveLength(WARM_UP + REQUESTS);
  });

  it('never answers 5xx (a readiness probe reporting a failed check aside), and answers every request', () => {
    const problems = run.outcomes.filter((o) => problemWith(o, run.reached, run.probePaths) !== undefined);
    expect(problems.slice(0, 10).map((o) => describeProblem(o, run))).toEqual([]);
    expect(
      run.outcomes.filter(
        (o) => (o.response?.status ?? 0) >= 500 && !isProbeAnswer(o.response as RawResponse, o.request.method),
      ),
    ).toHaveLength(0);
  });

  it('lets no rejected request reach app code: the layer rejections the client saw and the requests the app saw never overlap, and the counts agree', () => {
    const verdicts = run.outcomes.map((o) => verdict(o, run.reached));
    const layerRejected = run.outcomes.filter((_, i) => verdicts[i] === 'layer rejection');
    const rejectedButReached = run.outcomes.filter(
      (o) => o.response && isLayerRejection(o.response, o.request.method) && hasId(run.reached, o.request.id),
    );
    const probeButReached = run.outcomes.filter(
      (o) => o.request.expect === 'probe' && hasId(run.reached, o.request.id),
    );
    const appAnswers = [...run.outcomes, ...run.slow].filter((o) => verdict(o, run.reached) === 'app').length;

    expect(layerRejected.length).toBeGreaterThan(REQUESTS / 4);
    expect(rejectedButReached).toHaveLength(0);
    expect(probeButReached).toHaveLength(0);
    // Both sides count the same requests: every request the app saw got the app's answer, and the
    // app saw nothing else (no request twice, none without the layer's checked host, none unaccounted for).
    expect(run.after.counts.unchecked).toBe(0);
    expect(run.after.counts.repeated).toBe(0);
    expect(run.after.counts.withoutId).toBe(0);
    expect(run.after.counts.reached).toBe(appAnswers);
  });

  it('answers exact probe paths in the layer whatever the host, and never a look-alike path', () => {
    const probes = run.outcomes.filter((o) => o.request.expect === 'probe');
    expect(probes.length).toBeGreaterThan(REQUESTS / 10);
    expect(probes.filter((o) => verdict(o, run.reached) !== 'probe answer')).toHaveLength(0);
    const lookAlikes = run.outcomes.filter(
      (o) =>
        o.request.category === 'probe look-alike path' &&
        !isProbeTarget(o.request.method, pathOf(o.request), run.probePaths),
    );
    expect(lookAlikes.length).toBeGreaterThan(REQUESTS / 20);
    expect(lookAlikes.filter((o) => verdict(o, run.reached) === 'probe answer')).toHaveLength(0);
  });

  it('builds password-reset links only from the checked host', () => {
    const resets = run.outcomes.filter((o) => o.request.resetHost !== undefined && o.response?.status === 202);
    expect(resets.length).toBeGreaterThan(100);
    const wrong = resets.filter(
      (o) =>
        new URL((JSON.parse((o.response as RawResponse).body.toString('utf8')) as { resetUrl: string }).resetUrl)
          .hostname !== o.request.resetHost,
    );
    expect(wrong).toHaveLength(0);
  });

  it(`keeps memory flat: RSS after the run / after the warm-up <= ${RSS_RATIO_LIMIT}, after full collections`, () => {
    expect(run.after.gcExposed).toBe(true);
    expect(run.after.rss / run.before.rss).toBeLessThanOrEqual(RSS_RATIO_LIMIT);
  });

  it('keeps the rejection log bounded: at most the per-window line cap, each line short and free of control characters', () => {
    const warns = warnLines(run.output);
    const rejections = warns.filter((line) => line.includes(' Rejected '));
    const summaries = warns.filter((line) => line.includes('suppressed in the last'));
    const windows = 1 + Math.floor(run.totalMs / DEFAULT_REJECT_LOG_WINDOW_MS);
    expect(rejections.length).toBeGreaterThan(0);
    expect(rejections.length).toBeLessThanOrEqual(REJECTION_LOG_LINES_PER_WINDOW * windows);
    expect(summaries.length).toBeLessThanOrEqual(windows);
    expect(warns.filter((line) => line.length > WARN_LINE_MAX_CHARS)).toEqual([]);
    // eslint-disable-next-line no-control-regex
    expect(warns.filter((line) => /[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(line))).toEqual([]);
  });

  it('withstands slowloris clients: dribbled requests get their answers, stalled and abandoned ones never reach the app, probes are answered meanwhile', () => {
    expect(run.slow).toHaveLength(2 * SLOW_REQUESTS);
    expect(run.slow.map((o) => problemWith(o, run.reached, run.probePaths)).filter((p) => p !== undefined)).toEqual([]);
    expect(run.stalledIds.filter((id) => hasId(run.reached, id))).toEqual([]);
    expect(run.probesWhileStalled).toEqual([200, 200]);
  });
});
