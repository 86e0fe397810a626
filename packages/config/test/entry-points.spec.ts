/**
 * What each entry point of the package loads: `.` must not reach the YAML parser (an app that reads
 * no deploy file does not pay for it), nor `./check` (the comparison is pure); `./kamal` must.
 * Checked on the sources' import graph (type-only imports load nothing); the consumer apps
 * (e2e/consumers) check it at run time on the packed package.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const manifest = JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
};

/** Import and export-from statements that load a module (not `import type`, not `export type`). */
const LOADING = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** Every module a source file loads, transitively: relative files by path, packages by name. */
function loads(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(LOADING)) {
      if (specifier === undefined) continue;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else seen.add(specifier);
    }
  };
  visit(join(SRC, entry));
  return seen;
}

describe('entry points', () => {
  it('are ., ./kamal, ./check and ./internal, each a source of its own', () => {
    expect(Object.keys(manifest.exports)).toEqual(['.', './kamal', './check', './internal', './package.json']);
  });

  it.each([
    ['index.ts', false],
    ['internal.ts', false],
    ['kamal.ts', true],
    ['check.ts', false],
  ])('%s loads yaml: %s', (entry, yaml) => {
    expect(loads(entry).has('yaml')).toBe(yaml);
  });

  it('leave the internal helpers out of the public index', () => {
    const index = readFileSync(join(SRC, 'index.ts'), 'utf8');
    for (const helper of ['didYouMean', 'quoteHostValue', 'formatFinding', 'readKamalDeployFile'])
      expect(index).not.toContain(helper);
  });

  it('load nothing outside node and the one dependency', () => {
    const external = [...loads('index.ts'), ...loads('kamal.ts'), ...loads('check.ts'), ...loads('cli/upgate.ts')]
      .filter((module) => !module.startsWith('/'))
      .filter((module) => !module.startsWith('node:'));
    expect([...new Set(external)]).toEqual(Object.keys(manifest.dependencies));
  });
});
