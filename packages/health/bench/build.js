// Compiles the benchmark apps (and the package sources they import) to plain JavaScript in
// out-tsc/bench, which node runs directly: no ts-jest or loader in the measured processes.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileWithSources } from '../scripts/compile-with-sources.js';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '../out-tsc/bench');

/** Returns the paths of the compiled apps. */
export async function buildBenchApps() {
  await compileWithSources(join(here, 'tsconfig.json'), outDir);
  const apps = join(outDir, 'packages/health/bench/apps');
  return {
    nestApp: join(apps, 'nest-app.js'),
    bareHttp: join(apps, 'bare-http.js'),
    decisionsApp: join(apps, 'decisions-app.js'),
  };
}
