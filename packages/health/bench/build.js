// Compiles the benchmark apps (and the package sources they import) to plain JavaScript in
// out-tsc/bench, which node runs directly: no ts-jest or loader in the measured processes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const workspace = join(here, '../../..');
const outDir = join(here, '../out-tsc/bench');

/** Returns the paths of the compiled apps. */
export async function buildBenchApps() {
  await rm(outDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')]);
  // The compiled health sources import `@upgate/config` by name, which in the workspace resolves
  // to its (maybe unbuilt) dist: point the name at the sources compiled beside them instead.
  const shim = join(outDir, 'node_modules/@upgate/config');
  await mkdir(shim, { recursive: true });
  await writeFile(join(shim, 'package.json'), JSON.stringify({ name: '@upgate/config', type: 'module', exports: './index.js' }));
  await writeFile(join(shim, 'index.js'), "export * from '../../../packages/config/src/index.js';\n");
  // A package's own node_modules holds the versions that differ from the root's (yaml 2 for config).
  for (const name of ['config', 'health']) {
    const own = join(workspace, 'packages', name, 'node_modules');
    if (existsSync(own)) await symlink(own, join(outDir, 'packages', name, 'node_modules'), 'dir');
  }
  const apps = join(outDir, 'packages/health/bench/apps');
  return { nestApp: join(apps, 'nest-app.js'), bareHttp: join(apps, 'bare-http.js') };
}
