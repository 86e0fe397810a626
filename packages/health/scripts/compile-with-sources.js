// Compiles a tsconfig's files (an app and the package sources it imports) to plain JavaScript that
// node runs as a process of its own: the benchmark's apps and the SIGTERM test's app, measured or
// signalled without ts-jest or a loader in the process.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const workspace = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Compiles `tsconfig` (whose rootDir is the workspace) into `outDir`, which is emptied first.
 * The compiled health sources import `@upgate/config` by name, which in the workspace resolves to
 * its (maybe unbuilt) `dist`: a package beside the output points that name at the sources compiled
 * with them. Each package's own `node_modules` (where npm put a version that differs from the
 * root's: yaml 2 for config) is linked beside its compiled sources, so that they resolve their
 * dependencies as the sources do.
 * @param {string} tsconfig
 * @param {string} outDir
 * @returns {Promise<void>}
 */
export async function compileWithSources(tsconfig, outDir) {
  await rm(outDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig]);
  // One file per entry point of @upgate/config (`.`, `./kamal`, ...), each re-exporting its sources.
  const shim = join(outDir, 'node_modules/@upgate/config');
  await mkdir(shim, { recursive: true });
  const manifest = JSON.parse(await readFile(join(workspace, 'packages/config/package.json'), 'utf8'));
  const exports = {};
  for (const [entry, targets] of Object.entries(manifest.exports)) {
    const source = typeof targets === 'object' ? targets['@upgate/source'] : undefined;
    if (source === undefined) continue;
    const file = source.replace(/^\.\/src\//, '').replace(/\.ts$/, '.js');
    exports[entry] = `./${file}`;
    await writeFile(join(shim, file), `export * from '../../../packages/config/src/${file}';\n`);
  }
  await writeFile(join(shim, 'package.json'), JSON.stringify({ name: '@upgate/config', type: 'module', exports }));
  for (const name of ['config', 'health']) {
    const own = join(workspace, 'packages', name, 'node_modules');
    if (existsSync(own)) await symlink(own, join(outDir, 'packages', name, 'node_modules'), 'dir');
  }
}
