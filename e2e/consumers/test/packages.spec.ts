/**
 * The packages as `npm pack` makes them, before anyone installs them: linted by publint (strict)
 * and Are the Types Wrong, and their contents and manifests checked against what the READMEs
 * promise. The consumer apps (consumers.spec.ts) then install the same tarballs.
 *
 * About the `@upgate/source` export condition (it points at ./src/index.ts, for the workspace's
 * tests and type-checks): it is published as is, and src/ is not. Stripping it at pack time was the
 * other way; it was not taken because nothing would guarantee it: the workspace's .npmrc sets
 * ignore-scripts=true, which makes `npm pack` and `npm publish` skip `prepack` (checked with npm 11),
 * and Nx release publishes the package folder's package.json as it is. Kept, the published manifest
 * is the one these tests lint and the consumer apps install. The condition is namespaced: only a
 * consumer that opts into `@upgate/source` would select it, and then gets a resolution error naming
 * the missing file rather than TypeScript sources compiled with someone else's settings.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { attw } from './support/attw.js';
import { PACK_SCRIPT, PACKAGES, packPackages, type PackedPackage } from './support/pack.js';
import { run, WORKSPACE_ROOT } from './support/run.js';

interface Manifest {
  name: string;
  version: string;
  type?: string;
  license?: string;
  engines?: Record<string, string>;
  exports?: Record<string, unknown>;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  sideEffects?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  publishConfig?: { access?: string };
}

let workDir: string;
let packs: PackedPackage[];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'upgate-packages-'));
  packs = await packPackages(workDir);
});

afterAll(async () => {
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

const packed = (name: string): PackedPackage => {
  const pack = packs.find((p) => p.name === name);
  if (pack === undefined) throw new Error(`${name} was not packed`);
  return pack;
};

const manifestOf = async (dir: string): Promise<Manifest> =>
  JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Every .ts file under `dir`, relative to it, without the extension. */
async function sourceModules(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
    .map((e) => relative(dir, join(e.parentPath, e.name)).slice(0, -'.ts'.length));
}

describe.each(PACKAGES)('$name, packed', ({ name, dir }) => {
  test('publint (strict: warnings count as errors) reports nothing', async () => {
    const tarball = await readFile(packed(name).tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: new Uint8Array(tarball).buffer },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false })}`)).toEqual([]);
  });

  test('attw: the types of every entry point resolve under node10, node16 (ESM) and bundler; the one finding is require() of ESM from node16 CommonJS', async () => {
    // attw (with TypeScript 5.6 inside) predates require(esm): it flags any ESM-only package for
    // CommonJS importers. Node >= 20.19 (this package's engines) loads it, and TypeScript >= 5.8
    // with module nodenext allows it: consumers.spec.ts proves both with a NestJS 11 CommonJS app.
    const problems = await attw(packed(name).tarball, join(workDir, `${name.replace('/', '-')}.attw.json`));
    // node10 (no exports) finds the subpaths' types through typesVersions.
    const entrypoints = Object.keys((await manifestOf(dir)).exports ?? {}).filter((e) => e !== './package.json');
    expect(problems).toEqual(
      entrypoints.map((entrypoint) => ({ kind: 'CJSResolvesToESM', entrypoint, resolutionKind: 'node16-cjs' })),
    );
  });

  test('contains the compiled module, source map and declarations of every source file, the README, CHANGELOG and LICENSE, and nothing else', async () => {
    const modules = await sourceModules(join(dir, 'src'));
    const manifest = await manifestOf(dir);
    const expected = [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      ...Object.values(manifest.bin ?? {}).map((bin) => bin.replace(/^\.\//, '')),
      // The maps stay: each .js ends with a sourceMappingURL comment naming its map.
      ...modules.flatMap((m) => [`dist/${m}.js`, `dist/${m}.js.map`, `dist/${m}.d.ts`]),
    ].sort();
    const files = packed(name).files;
    // A file here without a source is a stale build output: delete dist/ and build again.
    expect({
      unexpected: files.filter((f) => !expected.includes(f)),
      missing: expected.filter((f) => !files.includes(f)),
    }).toEqual({
      unexpected: [],
      missing: [],
    });
  });

  test('its LICENSE is the root LICENSE', async () => {
    expect(await readFile(join(dir, 'LICENSE'), 'utf8')).toBe(await readFile(join(WORKSPACE_ROOT, 'LICENSE'), 'utf8'));
  });

  test('exports dist/ to every consumer; the workspace-only @upgate/source condition names a file the tarball does not hold', async () => {
    const manifest = await manifestOf(dir);
    const entry = (file: string) => ({
      '@upgate/source': `./src/${file}.ts`,
      types: `./dist/${file}.d.ts`,
      default: `./dist/${file}.js`,
    });
    expect(manifest.exports).toEqual(
      name === '@upgate/config'
        ? {
            '.': entry('index'),
            './kamal': entry('kamal'),
            './check': entry('check'),
            './internal': entry('internal'),
            './package.json': './package.json',
          }
        : { '.': entry('index'), './package.json': './package.json' },
    );
    expect([manifest.main, manifest.types]).toEqual(['./dist/index.js', './dist/index.d.ts']);
    expect(packed(name).files.filter((f) => f.startsWith('src/'))).toEqual([]);
  });
});

describe('npm run pack', () => {
  test('refuses a package without its dist, naming the files its manifest points at', async () => {
    const unbuilt = await mkdtemp(join(tmpdir(), 'upgate-unbuilt-'));
    try {
      await cp(join(PACKAGES[0].dir, 'package.json'), join(unbuilt, 'package.json'));
      await cp(join(PACKAGES[0].dir, 'bin'), join(unbuilt, 'bin'), { recursive: true });
      const out = join(unbuilt, 'out');
      const result = await run(process.execPath, [PACK_SCRIPT, '--no-build', '--package', unbuilt, '--out', out], {
        cwd: WORKSPACE_ROOT,
        timeoutMs: 60_000,
        allowFailure: true,
      });
      expect(result).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `npm run pack: not packing: these packages are not built (the files their package.json names are missing):\n  ${unbuilt}: ./dist/index.js, ./dist/index.d.ts, ./dist/kamal.d.ts, ./dist/kamal.js, ./dist/check.d.ts, ./dist/check.js, ./dist/internal.d.ts, ./dist/internal.js\nbuild them first: npm run build (or npm run pack, which builds)\n`,
      });
      expect(existsSync(out)).toBe(false);
    } finally {
      await rm(unbuilt, { recursive: true, force: true });
    }
  });
});

describe('the manifests', () => {
  test('name Node >= 20.19 (require() of ESM without a flag), as the workspace does', async () => {
    const root = await manifestOf(WORKSPACE_ROOT);
    for (const { dir } of PACKAGES) expect((await manifestOf(dir)).engines).toEqual({ node: root.engines?.['node'] });
    expect(root.engines).toEqual({ node: '>=20.19' });
  });

  test('are ESM, side-effect free, MIT and public', async () => {
    for (const { name, dir } of PACKAGES) {
      const manifest = await manifestOf(dir);
      expect({
        name,
        type: manifest.type,
        sideEffects: manifest.sideEffects,
        license: manifest.license,
        access: manifest.publishConfig?.access,
      }).toEqual({
        name,
        type: 'module',
        sideEffects: false,
        license: 'MIT',
        access: 'public',
      });
    }
  });

  test('@upgate/config has one runtime dependency (yaml); @upgate/health has @upgate/config at its exact, released-together version', async () => {
    const [config, health] = await Promise.all(PACKAGES.map(({ dir }) => manifestOf(dir)));
    expect(Object.keys(config?.dependencies ?? {})).toEqual(['yaml']);
    expect(health?.dependencies).toEqual({ '@upgate/config': config?.version });
    expect(health?.version).toBe(config?.version);
  });

  test('@upgate/health takes NestJS and terminus 11 or 12 from the app (peers), and prom-client only if the app has it', async () => {
    const health = await manifestOf(PACKAGES[1].dir);
    expect(health.peerDependencies).toEqual({
      '@nestjs/common': '^11.0.0 || ^12.0.0',
      '@nestjs/core': '^11.0.0 || ^12.0.0',
      '@nestjs/terminus': '^11.0.0 || ^12.0.0',
      'prom-client': '^15.0.0',
    });
    expect(health.peerDependenciesMeta).toEqual({ 'prom-client': { optional: true } });
  });
});
