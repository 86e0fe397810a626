/**
 * The deploy rehearsal: `kamal deploy` of the demo, played against the real kamal-proxy (v0.9.2, driven
 * with the options Kamal 2.12 builds from apps/demo/config/deploy.yml), under load through kamal-proxy's
 * TLS listener, with the faults a deploy must survive. Every expected outcome is checked; the exit
 * status is 1 when one is not met. See README.md beside this file.
 *
 *   node apps/demo/rehearsal/dist/rehearse.js                     (npm run rehearse: the built demo)
 *   node apps/demo/rehearsal/dist/rehearse.js --image <app image> --proxy-image <kamal-proxy image>
 *     --postgres-image <stand-in for postgres:15>                 (npm run rehearse:image: podman)
 *   ... --only rollback,sigkillMidLoad                            (the first deploy, then those scenarios)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mustRun, waitFor } from './commands.js';
import { readKamalDeployment } from './kamal-deployment.js';
import { NamespaceRuntime } from './namespace-runtime.js';
import { DEPLOY_YML, DOCKERFILE, REPO_ROOT } from './paths.js';
import { PodmanRuntime } from './podman-runtime.js';
import { insidePrivateNamespaces, rerunInPrivateNamespaces } from './private-namespace.js';
import { RehearsalError } from './rehearsal-error.js';
import type { Runtime } from './runtime.js';
import { Rehearsal } from './rehearsal.js';
import { SCENARIOS } from './scenarios.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      image: { type: 'string' },
      'proxy-image': { type: 'string' },
      'postgres-image': { type: 'string' },
      only: { type: 'string' },
    },
    strict: true,
  });
  const image = values.image;
  if (image === undefined && !insidePrivateNamespaces()) return rerunInPrivateNamespaces();

  const dir = mkdtempSync(join(tmpdir(), 'upgate-rehearsal-'));
  const deployment = readKamalDeployment(DEPLOY_YML);
  const certificate = await selfSignedCertificate(dir, deployment.hosts);
  let runtime: Runtime;
  if (image !== undefined) {
    const [proxy, postgres] = [values['proxy-image'], values['postgres-image']];
    if (!proxy || !postgres)
      throw new RehearsalError('--image needs --proxy-image and --postgres-image (scripts/demo-image.sh passes them)');
    runtime = new PodmanRuntime(dir, { app: image, proxy, postgres }, deployment.service, deployment.role, certificate);
  } else {
    runtime = new NamespaceRuntime(dir, installTools(), certificate, dockerfileEnv(DOCKERFILE));
  }

  const r = new Rehearsal(runtime, deployment, dir, readFileSync(certificate.certificatePath, 'utf8'));
  const abort = (signal: NodeJS.Signals): void => {
    r.log(`${signal}: stopping everything the rehearsal started`);
    void r.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const limitMs = image === undefined ? 360_000 : 600_000;
  const watchdog = setTimeout(() => {
    r.log(`the rehearsal ran past its ${limitMs / 1000} s limit: stopping`);
    void r.close().finally(() => process.exit(1));
  }, limitMs);
  watchdog.unref();

  try {
    r.log(`runtime: ${runtime.description}`);
    await runtime.start();
    r.log(
      `kamal-proxy runs; TLS on 127.0.0.1:${runtime.proxyPorts.https}, HTTP on 127.0.0.1:${runtime.proxyPorts.http}`,
    );
    // `kamal setup` boots the accessories before the first deploy.
    const db = await r.kamal.bootAccessory(deployment, 'db');
    r.db = db;
    await waitFor(`the accessory ${db.name} to accept connections`, 60_000, async () => {
      const logs = await db.logs();
      if ((await db.exited()) !== undefined) throw new RehearsalError(`the accessory ${db.name} exited:\n${logs}`);
      return logs.includes('database system is ready to accept connections');
    });
    r.log(`accessory ${db.name} (${deployment.accessory('db', r.kamal.secrets).image}) runs at ${db.address}`);
    // --only deployUnderLoad,rollback: those after the first deploy (while working on the rehearsal).
    const only = values.only?.split(',');
    for (const scenario of SCENARIOS)
      if (!only || scenario === SCENARIOS[0] || only.includes(scenario.name)) await scenario(r);
  } catch (error) {
    r.expect(
      'rehearsal',
      'runs to the end',
      false,
      error instanceof RehearsalError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error),
    );
  } finally {
    await r.close();
    clearTimeout(watchdog);
    rmSync(dir, { recursive: true, force: true });
  }
  r.summary();
  return r.allMet() ? 0 : 1;
}

/**
 * scripts/rehearsal-tools.sh: ip and openssl from Debian's packages when missing, and the pinned
 * kamal-proxy, installed with `go install` unless there already. Returns kamal-proxy's path.
 */
function installTools(): string {
  const script = join(REPO_ROOT, 'scripts', 'rehearsal-tools.sh');
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const binary = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || binary === '')
    throw new RehearsalError(`${script} could not install what the rehearsal needs (exit status ${result.status})`);
  return binary;
}

/** The `ENV` lines of the Dockerfile's last stage: what the image adds to every container's environment. */
function dockerfileEnv(dockerfile: string): Record<string, string> {
  const stages = readFileSync(dockerfile, 'utf8').split(/^FROM\s/m);
  const env: Record<string, string> = {};
  for (const match of (stages.at(-1) ?? '').matchAll(/^ENV\s+(\w+)=(\S+)\s*$/gm))
    env[match[1] as string] = match[2] as string;
  return env;
}

/**
 * A certificate for the deploy file's hosts, in place of the Let's Encrypt one kamal-proxy would
 * get with `proxy.ssl: true` (no ACME server is reachable here).
 */
async function selfSignedCertificate(
  dir: string,
  hosts: readonly string[],
): Promise<{ certificatePath: string; privateKeyPath: string }> {
  const certificatePath = join(dir, 'cert.pem');
  const privateKeyPath = join(dir, 'key.pem');
  await mustRun('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${hosts[0] ?? 'localhost'}`,
    '-addext',
    `subjectAltName=${hosts.map((host) => `DNS:${host.trim()}`).join(',')}`,
    '-keyout',
    privateKeyPath,
    '-out',
    certificatePath,
  ]);
  return { certificatePath, privateKeyPath };
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`rehearse: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
