/**
 * apps/demo/k8s/ against the demo's own settings, as `upgate check` compares config/deploy.yml with
 * them for Kamal: the probes' paths and port, their timeouts against the probe deadline, the shutdown
 * delay against terminationGracePeriodSeconds; then the built demo, started with the Deployment's
 * environment, answers each probe as the kubelet sends it, within its timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROBE_TIMEOUT_MS, STARTUP_PATH } from '../src/health/readiness.js';
import { MAX_SHUTDOWN_DELAY_MS, shutdownDelay } from '../src/health/shutdown-delay.js';
import type { UpgateSettings } from '@upgate/config';
import { READINESS_PATH } from '../src/settings/demo-settings.js';
import { MAX_WORK_MS } from '../src/work/work.controller.js';
import {
  cleanUp,
  DEMO_ROOT,
  DEPLOY_YML,
  deployCopy,
  freePort,
  get,
  spawnDemo,
  withAppPort,
} from './support/demo-process.js';
import { startWith } from './support/demo-in-process.js';

interface Probe {
  httpGet: { path: string; port: number | string };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

interface Container {
  name: string;
  ports: { name?: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe;
}

interface Deployment {
  kind: 'Deployment';
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { terminationGracePeriodSeconds: number; containers: Container[] };
    };
  };
}

interface Service {
  kind: 'Service';
  spec: { selector: Record<string, string>; ports: { port: number; targetPort: number | string }[] };
}

function manifests(): (Deployment | Service)[] {
  return ['deployment.yaml', 'service.yaml'].flatMap((file) =>
    parseAllDocuments(readFileSync(join(DEMO_ROOT, 'k8s', file), 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`k8s/${file}: ${document.errors.join('; ')}`);
      return document.toJS() as Deployment | Service;
    }),
  );
}

const all = manifests();
const deployment = all.find((m): m is Deployment => m.kind === 'Deployment');
const service = all.find((m): m is Service => m.kind === 'Service');
const pod = deployment?.spec.template.spec;
const container = pod?.containers[0];
const env = Object.fromEntries((container?.env ?? []).map((entry) => [entry.name, entry.value]));
/** What the demo runs with in the cluster, as upgate resolves it: the image's deploy file, production. */
let settings: UpgateSettings;
beforeAll(async () => {
  const { resolution } = await startWith({ NODE_ENV: 'production', DEPLOY_FILE: DEPLOY_YML });
  if (resolution.settings === undefined) throw new Error('the demo resolved no settings');
  settings = resolution.settings;
});

/** The container port a probe's `port` (a number or a port's name) means. */
function portOf(probe: Probe): number | undefined {
  const { port } = probe.httpGet;
  return typeof port === 'number' ? port : container?.ports.find((p) => p.name === port)?.containerPort;
}

afterAll(cleanUp);

describe('k8s/ against the demo’s settings', () => {
  it('has a Deployment with one container and a Service that selects its pods', () => {
    expect(deployment && service && container).toBeTruthy();
    expect(deployment?.spec.selector.matchLabels).toEqual(deployment?.spec.template.metadata.labels);
    expect(service?.spec.selector).toEqual(deployment?.spec.template.metadata.labels);
    expect(service?.spec.ports.map((p) => p.targetPort)).toEqual([container?.ports[0]?.name]);
  });

  it('probes the demo’s own paths: startup, readiness, and liveness the one kamal-proxy checks too', () => {
    const livenessPaths = settings.probePaths.filter((path) => path !== READINESS_PATH && path !== STARTUP_PATH);
    expect(container?.startupProbe.httpGet.path).toBe(STARTUP_PATH);
    expect(container?.readinessProbe.httpGet.path).toBe(READINESS_PATH);
    expect(livenessPaths).toContain(container?.livenessProbe.httpGet.path);
    expect(settings.probePaths).toContain(container?.readinessProbe.httpGet.path);
    expect(settings.probePaths).toContain(container?.startupProbe.httpGet.path);
  });

  it('sends every probe to the port the app listens on', () => {
    expect(container?.ports.map((p) => p.containerPort)).toEqual([settings.port]);
    for (const probe of [container?.startupProbe, container?.readinessProbe, container?.livenessProbe]) {
      expect(probe && portOf(probe)).toBe(settings.port);
    }
  });

  it('gives every probe a timeout above the app’s probe deadline, so a slow check is answered with its 503', () => {
    for (const probe of [container?.startupProbe, container?.readinessProbe, container?.livenessProbe]) {
      expect((probe?.timeoutSeconds ?? 1) * 1000).toBeGreaterThan(PROBE_TIMEOUT_MS);
    }
  });

  it('sets a shutdown delay the app accepts, and a grace period that covers it, the longest request and the close', () => {
    const problems: never[] = [];
    const delay = shutdownDelay({ SHUTDOWN_DELAY_MS: env['SHUTDOWN_DELAY_MS'] }, problems);
    expect(problems).toEqual([]);
    // Kubernetes goes on routing to a terminating pod for a moment: a few seconds of serving.
    expect(delay).toBeGreaterThanOrEqual(2000);
    expect(delay).toBeLessThanOrEqual(MAX_SHUTDOWN_DELAY_MS);
    const closeMs = 5000;
    expect((pod?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(
      (delay ?? 0) + MAX_WORK_MS + closeMs,
    );
  });

  it('takes DATABASE_URL from a Secret, not from the manifest', () => {
    const database = container?.env.find((entry) => entry.name === 'DATABASE_URL');
    expect(database?.value).toBeUndefined();
    expect(database?.valueFrom?.secretKeyRef).toEqual({ name: 'upgate-demo-db', key: 'url' });
  });

  it('the built demo with the Deployment’s environment answers each probe, as the kubelet sends it, within its timeout', async () => {
    const port = await freePort();
    const literal = Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const demo = spawnDemo({ NODE_ENV: 'production', DEPLOY_FILE: deployCopy(withAppPort(port)), ...literal });
    const until = performance.now() + 30_000;
    for (const probe of [container?.startupProbe, container?.readinessProbe, container?.livenessProbe]) {
      if (!probe) throw new Error('a probe is missing');
      for (;;) {
        const reply = await get(port, probe.httpGet.path, {
          host: `10.244.1.7:${port}`,
          headers: { 'User-Agent': 'kube-probe/1.31', Accept: '*/*', Connection: 'close' },
          timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
        }).catch((error: Error) => ({ status: 0, body: error.message }));
        if (reply.status >= 200 && reply.status < 400) break;
        if (performance.now() > until)
          throw new Error(`${probe.httpGet.path}: ${reply.status} ${reply.body}\n${demo.output()}`);
        await new Promise((done) => setTimeout(done, 200));
      }
    }
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toMatchObject({ code: 0, signal: null });
  }, 60_000);
});
