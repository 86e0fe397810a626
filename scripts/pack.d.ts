/** See pack.js. */
export const PACKAGE_DIRS: readonly string[];
export function missingFiles(dir: string): string[];
export function packPackages(options: {
  destination: string;
  build?: boolean;
  packages?: readonly string[];
  env?: NodeJS.ProcessEnv;
}): {
  name: string;
  version: string;
  tarball: string;
  files: string[];
}[];
