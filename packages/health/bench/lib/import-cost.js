// The cost of importing a package in a fresh node process: CPU time, resident memory added (after a
// full collection on both sides), and whether the YAML parser came with it.
import { spawn } from 'node:child_process';

// `yaml` is a CommonJS package, so an import of it lands in the CommonJS cache.
const IMPORT_PROBE = `
for (const first of (process.argv[2] ?? '').split(',').filter(Boolean)) await import(first);
const gc = globalThis.gc;
gc(); gc();
const before = process.memoryUsage().rss;
const cpuBefore = process.cpuUsage();
const started = performance.now();
try { await import(process.argv[1]); } catch (error) {
  if (error?.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || error?.code === 'ERR_MODULE_NOT_FOUND') {
    console.log(JSON.stringify({ missing: true })); process.exit(0);
  }
  throw error;
}
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
gc(); gc();
const rss = process.memoryUsage().rss - before;
const { createRequire } = await import('node:module');
const cache = createRequire(process.cwd() + '/').cache;
const yaml = Object.keys(cache).some((file) => /[\\\\/]node_modules[\\\\/]yaml[\\\\/]/.test(file));
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rss, yaml }));
`;

/**
 * One import of `specifier`, resolved from `cwd` (a checkout's root), in a process of its own,
 * after the imports of `first` (not measured: what an app has loaded anyway, such as NestJS).
 * @returns {Promise<{ missing: true } | { ms: number, cpuMs: number, rss: number, yaml: boolean }>}
 */
export function importOnce(specifier, cwd, first = []) {
  const args = ['--expose-gc', '--input-type=module', '-e', IMPORT_PROBE, specifier, first.join(',')];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`import ${specifier}: ${code}\n${err}`)),
    );
  });
}
