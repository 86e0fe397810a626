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
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { attw } from './support/attw.js';
import { PACK_SCRIPT, PACKAGES, packPackages, type PackageName, type PackedPackage } from './support/pack.js';
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

/**
 * The modules of each package's dist/ that are entry points (the manifest's exports, and the
 * `upgate` bin's CLI): the build bundles each into one file, and what they share into chunks.
 */
const ENTRY_MODULES: Record<PackageName, readonly string[]> = {
  '@upgate/config': ['index', 'kamal', 'check', 'internal', 'cli/upgate'],
  '@upgate/health': ['index'],
};

/** A chunk of code two entry points share, as the build names it. */
const CHUNK = /^dist\/chunks\/chunk-[A-Z0-9]+\.js$/;

let workDir: string;
let packs: PackedPackage[];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'upgate-packages-'));
  packs = await packPackages(workDir);
  // Each tarball unpacked (npm puts its files under package/), for the tests that read the modules.
  for (const pack of packs) {
    const into = unpacked(pack.name);
    await mkdir(into, { recursive: true });
    await run('tar', ['-xzf', pack.tarball, '-C', into, '--strip-components=1'], { cwd: workDir, timeoutMs: 30_000 });
  }
});

/** Where a package's tarball is unpacked. */
const unpacked = (name: PackageName): string => join(workDir, 'unpacked', name);

/** What a module of the bundle loads: statically (import ... from, import '...') and with import(). */
function importsOf(code: string): { static: string[]; dynamic: string[] } {
  const statics = [...code.matchAll(/^(?:import|export)\b[^;'"]*?(?:\bfrom\s*)?"([^"]+)";$/gm)].map((m) => m[1] ?? '');
  const dynamic = [...code.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1] ?? '');
  return { static: statics, dynamic };
}

/**
 * What an entry point of a packed package loads when imported: the other packages it imports
 * statically (through its chunks, transitively), and those it leaves to an import() for later.
 */
async function loadsOf(name: PackageName, entry: string): Promise<{ packages: string[]; lazily: string[] }> {
  const root = unpacked(name);
  const packages = new Set<string>();
  const lazily = new Set<string>();
  const seen = new Set<string>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    const imports = importsOf(await readFile(file, 'utf8'));
    for (const specifier of imports.static) {
      if (specifier.startsWith('.')) await visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
    for (const specifier of imports.dynamic) {
      // A relative import() would be a chunk loaded later: none is expected, and the test says so.
      lazily.add(specifier);
    }
  };
  await visit(join(root, 'dist', `${entry}.js`));
  return { packages: [...packages].sort(), lazily: [...lazily].sort() };
}

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

  test('contains one bundled module per entry point and the chunks they share, each with its source map; the declarations of every source file; the README, CHANGELOG and LICENSE; nothing else', async () => {
    const modules = await sourceModules(join(dir, 'src'));
    const manifest = await manifestOf(dir);
    const files = packed(name).files;
    const chunks = files.filter((f) => CHUNK.test(f));
    const expected = [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      ...Object.values(manifest.bin ?? {}).map((bin) => bin.replace(/^\.\//, '')),
      ...ENTRY_MODULES[name].flatMap((m) => [`dist/${m}.js`, `dist/${m}.js.map`]),
      ...chunks.flatMap((chunk) => [chunk, `${chunk}.map`]),
      // The declarations as tsc emits them, one per source file: the types users compile against.
      ...modules.map((m) => `dist/${m}.d.ts`),
    ].sort();
    // A module of its own for a source file (dist/host/host-matcher.js) is a build that did not bundle.
    expect({
      unexpected: files.filter((f) => !expected.includes(f)),
      missing: expected.filter((f) => !files.includes(f)),
    }).toEqual({
      unexpected: [],
      missing: [],
    });
    // @upgate/config's entry points share code (UpgateConfigError among it): that is in chunks, once.
    expect(chunks.length > 0).toBe(name === '@upgate/config');
  });

  test("every module names its source map, whose sources are the package's TypeScript files", async () => {
    const modules = packed(name).files.filter((f) => f.endsWith('.js') && f.startsWith('dist/'));
    const sources = new Set<string>();
    for (const module of modules) {
      const path = join(unpacked(name), module);
      const code = await readFile(path, 'utf8');
      const mapName = `${module.split('/').pop() ?? ''}.map`;
      expect({ module, last: code.trimEnd().split('\n').pop() }).toEqual({
        module,
        last: `//# sourceMappingURL=${mapName}`,
      });
      const map = JSON.parse(await readFile(`${path}.map`, 'utf8')) as { sources: string[] };
      for (const source of map.sources) sources.add(relative(dir, resolve(dirname(join(dir, module)), source)));
    }
    // Resolved from the module's place in the package, each source is a file of the workspace's src/.
    const expected = (await sourceModules(join(dir, 'src'))).map((m) => `src/${m}.ts`);
    expect([...sources].filter((source) => !expected.includes(source))).toEqual([]);
    expect(sources.size).toBeGreaterThan(0);
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

describe('the bundles, as packed', () => {
  // What each entry point makes Node load: the YAML parser only with the Kamal reader (and the CLI,
  // which reads deploy files); terminus, prom-client and the Kamal reader only when the module's
  // settings need them, through an import() that bundling must leave as one.
  test.each([
    ['@upgate/config', 'index', [], []],
    ['@upgate/config', 'check', [], []],
    ['@upgate/config', 'internal', [], []],
    ['@upgate/config', 'kamal', ['yaml'], []],
    ['@upgate/config', 'cli/upgate', ['yaml'], []],
    [
      '@upgate/health',
      'index',
      ['@nestjs/common', '@nestjs/core', '@upgate/config', '@upgate/config/internal'],
      ['@nestjs/terminus', '@upgate/config/kamal', 'prom-client'],
    ],
  ] as const)(
    '%s dist/%s.js imports the packages %j, and %j only with import()',
    async (name, entry, packages, lazily) => {
      expect(await loadsOf(name, entry)).toEqual({ packages, lazily });
    },
  );

  test("UpgateConfigError is defined once, in @upgate/config's chunks; @upgate/health imports it from @upgate/config", async () => {
    const definitions: string[] = [];
    for (const pack of packs) {
      for (const module of pack.files.filter((f) => f.endsWith('.js'))) {
        const code = await readFile(join(unpacked(pack.name), module), 'utf8');
        if (/\bclass _?UpgateConfigError\b/.test(code)) definitions.push(`${pack.name}/${module}`);
      }
    }
    expect(definitions).toEqual([expect.stringMatching(/^@upgate\/config\/dist\/chunks\/chunk-[A-Z0-9]+\.js$/)]);
  });

  test('with --enable-source-maps, a stack trace through the bundle names the source file and line', async () => {
    const index = join(unpacked('@upgate/config'), 'dist/index.js');
    const script = `
      const { loadSettings } = await import(${JSON.stringify(pathToFileURL(index).href)});
      try { loadSettings({ env: {}, options: { allowedHosts: ['https://app.example.com'] } }); }
      catch (error) { console.log(error.stack); }`;
    const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      cwd: workDir,
      timeoutMs: 30_000,
    });
    // The frame names the TypeScript file (where it would be in the package) and the line of the throw.
    const frame = /at (?:Module\.)?loadSettings \((.+):(\d+):\d+\)/.exec(stdout);
    expect(frame?.[1]).toBe(join(unpacked('@upgate/config'), 'src/load/load-settings.ts'));
    const source = await readFile(join(PACKAGES[0].dir, 'src/load/load-settings.ts'), 'utf8');
    expect(source.split('\n')[Number(frame?.[2]) - 1]).toContain('throw new UpgateConfigError(');
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
