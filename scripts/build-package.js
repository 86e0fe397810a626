// Builds a package's dist/: one ES module per entry point and the chunks they share, with source
// maps, beside the declarations tsc emits. Bundled because Node's loading of a package's files one
// by one (read, resolve, link: ~0.3-0.7 ms each, 71 files for an app with the HealthModule) was most
// of what the packages added to an app's start-up. The one build: Nx's `build` target, npm run pack,
// the demo (npm start, its tests, its Dockerfile) and the benchmarks all run this.
//   node scripts/build-package.js [--no-source-maps] <package folder>...
//
// 1. tsc (incremental) compiles src/ into dist-tsc/: JavaScript with decorator metadata, which
//    esbuild does not emit from TypeScript, source maps and declarations.
// 2. esbuild bundles the entry points (every dist/ module the manifest's exports, main and bins
//    name) from that JavaScript, with code splitting: a module two entry points share is one chunk,
//    so a class (UpgateConfigError) stays one class across them, and a lazy import() stays lazy.
//    Every bare import (@upgate/config, yaml, @nestjs/*, prom-client...) stays an import, resolved
//    by the app as before. Its maps chain through tsc's to src/*.ts.
// 3. dist/ is the result exactly (no file of an earlier build survives), and is left untouched when
//    it is that already, so that a test reading it while the build runs again reads whole files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where tsc compiles to (tsconfig.lib.json's outDir), inside the package folder. */
export const TSC_OUT = 'dist-tsc';

/**
 * Every file a manifest's `exports` map names, under any condition but the workspace-only
 * `@upgate/source` (the sources tests and type-checks read).
 * @param {unknown} exports
 * @returns {string[]}
 */
export function exportTargets(exports) {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.entries(exports).flatMap(([condition, target]) =>
    condition === '@upgate/source' ? [] : exportTargets(target),
  );
}

/**
 * The modules of dist/ that are entry points, without `.js`: the manifest's exports, main and
 * bins' imports of `../dist/*.js` (a bin is a small wrapper outside dist/ that imports its CLI).
 * @param {string} dir
 * @returns {string[]}
 */
export function entryPoints(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const targets = [manifest.main, ...exportTargets(manifest.exports)];
  for (const bin of Object.values(manifest.bin ?? {})) {
    const text = readFileSync(join(dir, bin), 'utf8');
    for (const [, module] of text.matchAll(/['"]\.\.\/dist\/([^'"]+)\.js['"]/g)) targets.push(`./dist/${module}.js`);
  }
  const modules = targets
    .filter((target) => typeof target === 'string' && /^\.\/dist\/.+\.js$/.test(target))
    .map((target) => target.slice('./dist/'.length, -'.js'.length));
  return [...new Set(modules)];
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Compiles the package's src/ with tsc into dist-tsc/, and returns the compiled modules (relative, no extension). */
function compile(dir) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = join(dir, 'tsconfig.lib.json');
  const sources = filesUnder(join(dir, 'src'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length));
  const complete = () =>
    sources.every((m) => ['.js', '.js.map', '.d.ts'].every((ext) => existsSync(join(dir, TSC_OUT, m + ext))));
  execFileSync(process.execPath, [tsc, '--build', project], { cwd: root, stdio: 'inherit' });
  // tsc --build trusts its build info: outputs deleted behind its back are not made again unless forced.
  if (!complete())
    execFileSync(process.execPath, [tsc, '--build', '--force', project], { cwd: root, stdio: 'inherit' });
  return sources;
}

/**
 * Builds `dir`'s dist/ (see the top of this file).
 * @param {string} dir the package folder
 * @param {{ sourceMaps?: boolean }} [options] sourceMaps: false for an image that ships no sources
 * @returns {Promise<{ changed: boolean, files: string[] }>} whether dist/ was written, and its files
 */
export async function buildPackage(dir, { sourceMaps = true } = {}) {
  const sources = compile(dir);
  const compiled = join(dir, TSC_OUT);
  const dist = join(dir, 'dist');
  const entries = entryPoints(dir);
  for (const entry of entries) {
    if (!sources.includes(entry))
      throw new Error(`${relative(root, dir)}: the entry point dist/${entry}.js has no source src/${entry}.ts`);
  }
  const result = await build({
    absWorkingDir: dir,
    entryPoints: entries.map((entry) => ({ in: join(compiled, `${entry}.js`), out: entry })),
    outdir: dist,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    packages: 'external',
    // Nest names modules and providers by their class's name (HealthModule in its logs and tokens):
    // esbuild renames what two modules both declare; this keeps `.name` as written.
    keepNames: true,
    sourcemap: sourceMaps ? 'linked' : false,
    // Maps name src/*.ts, as tsc's did, without carrying them (the package does not ship src/).
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
  });
  const files = new Map(result.outputFiles.map((file) => [relative(dist, file.path), file.contents]));
  for (const module of sources) files.set(`${module}.d.ts`, readFileSync(join(compiled, `${module}.d.ts`)));

  const same =
    filesUnder(dist).length === files.size &&
    [...files].every(([file, contents]) => {
      const path = join(dist, file);
      return existsSync(path) && readFileSync(path).equals(contents);
    });
  if (!same) {
    const next = join(compiled, '.dist-next');
    rmSync(next, { recursive: true, force: true });
    for (const [file, contents] of files) {
      mkdirSync(dirname(join(next, file)), { recursive: true });
      writeFileSync(join(next, file), contents);
    }
    rmSync(dist, { recursive: true, force: true });
    renameSync(next, dist);
  }
  return { changed: !same, files: [...files.keys()].sort() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({
    options: { 'no-source-maps': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: node scripts/build-package.js [--no-source-maps] <package folder>...\n');
    process.exit(2);
  }
  try {
    for (const dir of positionals) {
      const { changed, files } = await buildPackage(resolve(dir), { sourceMaps: !values['no-source-maps'] });
      const modules = files.filter((file) => file.endsWith('.js')).length;
      process.stdout.write(
        `${relative(root, resolve(dir))}/dist: ${modules} modules${changed ? '' : ' (unchanged)'}\n`,
      );
    }
  } catch (error) {
    process.stderr.write(`build-package: ${error.message}\n`);
    process.exit(1);
  }
}
