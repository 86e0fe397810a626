/**
 * `upgate check --app "<start command>"`: runs the app's own start command in check mode
 * (`UPGATE_CHECK` names a file), and reads the report HealthModule writes there before the app
 * would listen. What the app does is then known, not assumed: settings in code, the deploy file
 * it really reads, the module's defaults, the port it passes to listen().
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APP_SETTINGS_REPORT_FORMAT,
  type AppSettingsReport,
  UPGATE_CHECK_VARIABLE,
} from '../check/app-settings-report.js';

/** Kept of the app's output, to show when it wrote no report. */
const OUTPUT_TAIL_CHARS = 4000;

export type AppRun =
  | { readonly report: AppSettingsReport; readonly output: string }
  | { readonly failure: string; readonly output: string };

export async function runInCheckMode(
  command: string,
  options: {
    readonly cwd: string;
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly timeoutMs: number;
  },
): Promise<AppRun> {
  const dir = mkdtempSync(join(tmpdir(), 'upgate-check-'));
  const file = join(dir, 'app-settings.json');
  try {
    // A process group of its own, so that a timeout stops the shell and everything it started.
    const child = spawn(command, {
      shell: true,
      cwd: options.cwd,
      env: { ...options.env, [UPGATE_CHECK_VARIABLE]: file },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((done) => {
      child.once('error', (error) => done({ code: null, signal: null, error }));
      child.once('close', (code, signal) => done({ code, signal }));
    });
    clearTimeout(timer);
    killGroup(child.pid);

    if (existsSync(file)) {
      let report: unknown;
      try {
        report = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        return { failure: `the app wrote a report that is not JSON (${(error as Error).message})`, output };
      }
      if ((report as { format?: unknown } | null)?.format !== APP_SETTINGS_REPORT_FORMAT) {
        return {
          failure: `the app wrote a report of another format (${JSON.stringify((report as { format?: unknown } | null)?.format)}, this upgate reads ${APP_SETTINGS_REPORT_FORMAT}): use the same version of @upgate/config and @upgate/health`,
          output,
        };
      }
      return { report: report as AppSettingsReport, output };
    }
    if (exit.error) return { failure: `the command could not be started (${exit.error.message})`, output };
    if (timedOut) {
      return {
        failure: `the app neither listened nor exited within ${options.timeoutMs / 1000} s (check mode stops it when it calls listen()); is it waiting for something, such as a database?`,
        output,
      };
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    return {
      failure: `the app ${how} without reporting its settings: it did not get as far as listen(), or does not import HealthModule from @upgate/health`,
      output,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}
