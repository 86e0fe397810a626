import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanEnv, WORKSPACE_ROOT } from './run.js';

/** One finding of Are the Types Wrong, as its JSON output lists it. */
export interface AttwProblem {
  readonly kind: string;
  readonly entrypoint?: string;
  readonly resolutionKind?: string;
}

/**
 * `attw <tarball> --format json` (the CLI installed at the root, default "strict" profile: node10,
 * node16 from CommonJS and from ESM, bundler). Its output goes to a file: written to a pipe, the
 * CLI's JSON is cut at 64 KiB when it exits.
 */
export async function attw(tarball: string, outFile: string): Promise<AttwProblem[]> {
  const out = await open(outFile, 'w');
  try {
    const child = spawn(
      process.execPath,
      [join(WORKSPACE_ROOT, 'node_modules/.bin/attw'), tarball, '--format', 'json'],
      {
        cwd: WORKSPACE_ROOT,
        env: cleanEnv(),
        stdio: ['ignore', out.fd, 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    const text = await readFile(outFile, 'utf8');
    let report: { analysis?: { problems?: AttwProblem[] } };
    try {
      report = JSON.parse(text) as typeof report;
    } catch {
      throw new Error(`attw ${tarball} (exit ${code}) printed no JSON report:\n${text}\n${stderr}`);
    }
    const problems = report.analysis?.problems;
    if (problems === undefined)
      throw new Error(`attw ${tarball} (exit ${code}) reported no analysis:\n${text}\n${stderr}`);
    return problems;
  } finally {
    await out.close();
  }
}
