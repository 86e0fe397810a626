/**
 * The layering (config depends on nothing of ours, health only on config, apps only on packages) is
 * enforced by `@nx/enforce-module-boundaries` in the root eslint.config.js. This runs ESLint itself,
 * with the workspace's configuration, on imports placed in each project.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));
const RULE = '@nx/enforce-module-boundaries';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: workspaceRoot });
});

/** The messages of the boundaries rule for `code` linted as if it were the file at `path` (relative to the root). */
async function boundaryMessages(path: string, code: string): Promise<{ severity: number; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: `${workspaceRoot}${path}` });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === RULE)
    .map(({ severity, message }) => ({ severity, message }));
}

/** The first line of each error of the rule (the rest lists the file chain, which changes as the projects grow). */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const messages = await boundaryMessages(path, code);
  return messages.filter((m) => m.severity === 2).map((m) => m.message.split('\n')[0] ?? '');
}

describe('module boundaries', () => {
  it('reports config importing health as an error', async () => {
    const errors = await boundaryErrors(
      'packages/config/src/__probe__.ts',
      "import { HealthModule } from '@upgate/health';\nexport const probe = HealthModule;\n",
    );
    // health depends on config, so Nx reports the cycle (before the tag rule, which forbids it too).
    expect(errors).toEqual(['Circular dependency between "config" and "health" detected: config -> health -> config']);
  }, 60_000);

  it('reports health importing from the demo app, by relative path or by package path, as an error', async () => {
    const byPath = await boundaryErrors(
      'packages/health/src/__probe__.ts',
      "import { placeholder } from '../../../apps/demo/src/main.js';\nexport const probe = placeholder;\n",
    );
    expect(byPath).toEqual([
      'Projects cannot be imported by a relative or absolute path, and must begin with a npm scope',
    ]);
    const byPackage = await boundaryErrors(
      'packages/health/src/__probe__.ts',
      "import { placeholder } from '@upgate/demo/src/main.js';\nexport const probe = placeholder;\n",
    );
    expect(byPackage).toEqual(['Circular dependency between "health" and "demo" detected: health -> demo -> health']);
  }, 60_000);

  it('allows health to import config, and the app to import both packages', async () => {
    expect(
      await boundaryMessages(
        'packages/health/src/__probe__.ts',
        "import { loadSettings } from '@upgate/config';\nexport const probe = loadSettings;\n",
      ),
    ).toEqual([]);
    expect(
      await boundaryMessages(
        'apps/demo/src/__probe__.ts',
        "import { loadSettings } from '@upgate/config';\nimport * as health from '@upgate/health';\nexport const probe = [loadSettings, health];\n",
      ),
    ).toEqual([]);
  }, 60_000);
});
