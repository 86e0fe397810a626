import { join } from 'node:path';
import { run, WORKSPACE_ROOT } from './run.js';

/** The workspace's pack script (`npm run pack`). */
export const PACK_SCRIPT = join(WORKSPACE_ROOT, 'scripts/pack.js');

/** The published packages, by workspace folder. */
export const PACKAGES = [
  { name: '@upgate/config', dir: join(WORKSPACE_ROOT, 'packages/config') },
  { name: '@upgate/health', dir: join(WORKSPACE_ROOT, 'packages/health') },
] as const;

export type PackageName = (typeof PACKAGES)[number]['name'];

export interface PackedPackage {
  readonly name: PackageName;
  readonly version: string;
  /** Absolute path of the .tgz. */
  readonly tarball: string;
  /** Paths inside the package, as npm put them in the tarball. */
  readonly files: readonly string[];
}

/**
 * The packages packed as a maintainer packs them before a release, or a user before installing
 * them from a clone: the workspace's `npm run pack` (scripts/pack.js), which refuses a package
 * without its dist. The packages are built already (the test target depends on their `build`).
 */
export async function packPackages(destination: string): Promise<PackedPackage[]> {
  const { stdout } = await run(process.execPath, [PACK_SCRIPT, '--no-build', '--json', '--out', destination], {
    cwd: WORKSPACE_ROOT,
    timeoutMs: 60_000,
  });
  const packed = JSON.parse(stdout) as { name: string; version: string; tarball: string; files: string[] }[];
  return PACKAGES.map(({ name }) => {
    const entry = packed.find((p) => p.name === name);
    if (entry === undefined) throw new Error(`npm run pack did not pack ${name}; it printed:\n${stdout}`);
    return { ...entry, name };
  });
}
