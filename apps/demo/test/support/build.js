// jest globalSetup: builds what the tests spawn (the demo, and the packages it consumes as built
// dist, as in production, including the `upgate` bin), once per run, within a bounded time: the
// packages with their build (scripts/build-package.js), the demo with tsc.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackage } from '../../../../scripts/build-package.js';

const BUILD_TIMEOUT_MS = 120_000;

export default async function build() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const started = performance.now();
  try {
    for (const name of ['config', 'health']) await buildPackage(join(root, 'packages', name));
  } catch (error) {
    throw new Error(`building the packages for the demo's tests failed: ${error.message}`, { cause: error });
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = 'apps/demo/tsconfig.lib.json';
  await new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [tsc, '--build', project],
      { cwd: root, timeout: BUILD_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `building the demo for its tests failed (tsc --build ${project}):\n${stdout}${stderr}${error.killed ? `\n(killed after ${BUILD_TIMEOUT_MS} ms)` : ''}`,
            ),
          );
        else resolve();
      },
    );
  });
  process.stderr.write(`demo tests: built config, health and demo in ${Math.round(performance.now() - started)} ms\n`);
}
