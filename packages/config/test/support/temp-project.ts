/**
 * Throwaway project directories for loader tests: real files on disk, removed after the suite.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const created: string[] = [];

/** Creates a directory holding `files` (path relative to it -> content) and returns its path. */
export function tempProject(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'upgate-config-'));
  created.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Removes every directory `tempProject` created; call from `afterAll`. */
export function removeTempProjects(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The problems' lines of an UpgateConfigError thrown by `fn`, as a user reads them. */
export function problemLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error && error.name === 'UpgateConfigError') {
      return error.message
        .split('\n')
        .slice(1)
        .map((line) => line.replace(/^ {2}- /, ''));
    }
    throw error;
  }
  throw new Error('expected an UpgateConfigError, but nothing was thrown');
}
