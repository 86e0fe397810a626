import { join } from 'node:path';
import { run, WORKSPACE_ROOT } from './run.js';

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

interface NpmPackEntry {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

/**
 * `npm pack` of both packages into `destination`, exactly as a maintainer would run it before
 * publishing (from the workspace root, with its .npmrc). The packages must be built (the test
 * target depends on their `build`).
 */
export async function packPackages(destination: string): Promise<PackedPackage[]> {
  const workspaces = PACKAGES.flatMap(({ name }) => ['--workspace', name]);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination, ...workspaces], {
    cwd: WORKSPACE_ROOT,
    timeoutMs: 60_000,
  });
  const entries = JSON.parse(stdout) as NpmPackEntry[];
  return PACKAGES.map(({ name }) => {
    const entry = entries.find((e) => e.name === name);
    if (entry === undefined) throw new Error(`npm pack did not pack ${name}; it printed:\n${stdout}`);
    return {
      name,
      version: entry.version,
      tarball: join(destination, entry.filename),
      files: entry.files.map((f) => f.path).sort(),
    };
  });
}
