// jest globalSetup: compiles what the tests spawn (the demo, and the packages it consumes as built
// dist, as in production, including the `upgate` bin), once per run, within a bounded time.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_TIMEOUT_MS = 120_000;

export default async function build() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const projects = [
    'packages/config/tsconfig.lib.json',
    'packages/health/tsconfig.lib.json',
    'apps/demo/tsconfig.lib.json',
  ];
  const started = performance.now();
  await new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [tsc, '--build', ...projects],
      { cwd: root, timeout: BUILD_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `building the demo for its tests failed (tsc --build ${projects.join(' ')}):\n${stdout}${stderr}${error.killed ? `\n(killed after ${BUILD_TIMEOUT_MS} ms)` : ''}`,
            ),
          );
        else resolve();
      },
    );
  });
  process.stderr.write(`demo tests: built config, health and demo in ${Math.round(performance.now() - started)} ms\n`);
}
