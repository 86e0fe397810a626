/**
 * The built demo (dist/main.js, unchanged) in a child process with the app-side request counter
 * preloaded (count-app-requests.mjs) and `--expose-gc`, so that the test can ask it, over IPC,
 * which requests reached app code and how much memory it holds after a full collection.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEMO_MAIN, REPO_ROOT } from '../support/demo-process.js';
import { TEST_DATABASE_URL } from '../support/test-database.js';

const PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'count-app-requests.mjs');

export interface AppCounts {
  /** Requests that reached app code (Express's entry, before any middleware). */
  readonly reached: number;
  readonly withoutId: number;
  /** Requests that reached app code without a host checked by a gate. */
  readonly unchecked: number;
  /** Ids that reached app code more than once. */
  readonly repeated: number;
}

export interface DemoStats {
  readonly counts: AppCounts;
  readonly rss: number;
  readonly heapUsed: number;
  /** V8's committed heap (young generation included), and memory outside it (buffers). */
  readonly heapTotal: number;
  readonly external: number;
  readonly gcExposed: boolean;
  /** Bitmap of the X-Fuzz-Id values that reached app code (when asked for). */
  readonly reachedIds?: Uint8Array;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class CountedDemo {
  private output = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => (this.output += chunk));
    child.stderr?.on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      }),
    );
  }

  /** Starts `node --expose-gc --import count-app-requests.mjs apps/demo/dist/main.js` with exactly this environment (plus PATH, and the test database's DATABASE_URL unless `env` gives one). */
  static start(env: Record<string, string>): CountedDemo {
    const child = spawn(process.execPath, ['--expose-gc', '--import', pathToFileURL(PRELOAD).href, DEMO_MAIN], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', DATABASE_URL: TEST_DATABASE_URL, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new CountedDemo(child);
  }

  /** Everything the demo wrote to stdout and stderr so far. */
  text(): string {
    return this.output;
  }

  /** The exit, if it has happened. */
  get exitedWith(): Exit | undefined {
    return this.exit;
  }

  /** Waits for the demo's start-up lines; fails with its output if it exits or takes longer than `timeoutMs`. */
  async started(timeoutMs = 30_000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!this.output.includes('trusts X-Forwarded-Host from')) {
      if (this.exit) throw new Error(`the demo exited during start-up: ${JSON.stringify(this.exit)}\n${this.output}`);
      if (performance.now() > until) throw new Error(`no start-up lines after ${timeoutMs} ms:\n${this.output}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  /** Asks the demo for its counters and memory, after two full collections when `gc`. */
  stats(options: { gc?: boolean; ids?: boolean } = {}): Promise<DemoStats> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error('the demo did not answer the stats request within 10 s')), 10_000);
      const onMessage = (message: { type?: string; reachedIds?: string } & Omit<DemoStats, 'reachedIds'>): void => {
        if (message.type !== 'stats') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        const { reachedIds, ...rest } = message;
        done({ ...rest, ...(reachedIds ? { reachedIds: new Uint8Array(Buffer.from(reachedIds, 'base64')) } : {}) });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats', gc: options.gc ?? false, ids: options.ids ?? false });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Whether `id` is set in a bitmap from `DemoStats.reachedIds`. */
export function hasId(bitmap: Uint8Array, id: number): boolean {
  return ((bitmap[id >> 3] ?? 0) & (1 << (id & 7))) !== 0;
}
