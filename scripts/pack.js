// npm run pack: builds @upgate/config and @upgate/health and packs both into one folder (packs/,
// or the folder given), ready to install into an app before the packages are published:
//   npm install <folder>/upgate-config-<version>.tgz <folder>/upgate-health-<version>.tgz
// Both at once: @upgate/health depends on @upgate/config, which npm then takes from the other
// tarball. A package is packed only with its dist/ (npm pack itself would leave it out without a
// word when it is missing, and the workspace's ignore-scripts means no prepack hook could stop it).
// It builds with the packages' build (scripts/build-package.js), whose dist/ holds nothing of an
// earlier build that no source makes any more.
//   node scripts/pack.js [--out <folder>] [--no-build] [--json] [--package <folder>]...
// --json prints what was packed as JSON; --package packs these package folders instead of both.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPackage, exportTargets } from './build-package.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The packages, in dependency order. */
export const PACKAGE_DIRS = ['packages/config', 'packages/health'].map((dir) => join(root, dir));

/**
 * Every file a package's manifest points at (main, types, bin, exports but the workspace-only
 * `@upgate/source` condition) that is not there: a package with any missing is not packed.
 * @param {string} dir
 * @returns {string[]}
 */
export function missingFiles(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const targets = new Set([
    manifest.main,
    manifest.types,
    ...Object.values(manifest.bin ?? {}),
    ...exportTargets(manifest.exports),
  ]);
  return [...targets].filter((target) => target !== undefined && !existsSync(join(dir, target)));
}

/**
 * Builds (unless `build` is false) and packs the packages into `destination`. `env` is npm's
 * environment (a caller inside `npm test` passes one without the workspace's npm_config_* values).
 * @param {{ destination: string, build?: boolean, packages?: string[], env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<{ name: string, version: string, tarball: string, files: string[] }[]>}
 */
export async function packPackages({ destination, build = true, packages = PACKAGE_DIRS, env = process.env }) {
  if (build) for (const dir of packages) await buildPackage(dir);
  const unbuilt = packages
    .map((dir) => ({ dir, missing: missingFiles(dir) }))
    .filter(({ missing }) => missing.length > 0);
  if (unbuilt.length > 0) {
    const shown = (dir) => (relative(root, dir).startsWith('..') ? dir : relative(root, dir));
    const lines = unbuilt.map(({ dir, missing }) => `  ${shown(dir)}: ${missing.join(', ')}`);
    throw new Error(
      `not packing: these packages are not built (the files their package.json names are missing):\n${lines.join('\n')}\nbuild them first: npm run build (or npm run pack, which builds)`,
    );
  }
  mkdirSync(destination, { recursive: true });
  // From the workspace root, with its .npmrc, as a maintainer packs before publishing.
  const workspaces = packages.flatMap((dir) => ['--workspace', relative(root, dir)]);
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination, ...workspaces], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const packed = JSON.parse(out).map((entry) => ({
    name: entry.name,
    version: entry.version,
    tarball: join(destination, entry.filename),
    files: entry.files.map((f) => f.path).sort(),
  }));
  return packed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(root, 'packs') },
      'no-build': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      package: { type: 'string', multiple: true },
    },
  });
  const destination = resolve(values.out);
  try {
    const packed = await packPackages({
      destination,
      build: !values['no-build'],
      ...(values.package ? { packages: values.package.map((dir) => resolve(dir)) } : {}),
    });
    process.stdout.write(
      values.json
        ? `${JSON.stringify(packed, null, 2)}\n`
        : `packed into ${destination}:\n${packed.map((p) => `  ${p.name} ${p.version}: ${p.tarball}`).join('\n')}\n\n` +
            `install both in your app (npm takes @upgate/health's @upgate/config from the other tarball):\n` +
            `  npm install ${packed.map((p) => p.tarball).join(' ')}\n`,
    );
  } catch (error) {
    process.stderr.write(`npm run pack: ${error.message}\n`);
    process.exit(1);
  }
}
