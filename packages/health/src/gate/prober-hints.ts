import { Inject, Injectable } from '@nestjs/common';
import { checkProbePath, describeOrigins } from '@upgate/config';
import { quoteHostValue } from '@upgate/config/internal';
import { HEALTH_SETTINGS_RESOLUTION } from '../health.constants.js';
import type { ProberName, ProbeKind } from '../observe/health-event.js';
import type { ResolvedProbeOptions } from '../probe/probe-options.js';
import { probeKindOf } from '../probe/probe-kind.js';
import { PROBE_OPTIONS } from '../probe/probe.tokens.js';
import type { HealthSettingsResolution } from '../resolve-health-settings.js';

/** What a rejected request looks like to the hints: every field escaped or taken from the settings. */
export interface ProberClues {
  readonly method: string;
  /** The request path without its query, as sent. */
  readonly path: string;
  readonly userAgent: string | undefined;
  readonly peer: string | undefined;
  /** The rejected Host value, as sent. */
  readonly host: string | undefined;
}

/** A prober recognised in a rejected request, and what fixes its check. */
export interface ProberHint {
  readonly prober: ProberName;
  /** Why we think so, for the log line: `User-Agent 'kamal-proxy'`, `Host is a container id`. */
  readonly evidence: string;
  /** The fix that works, for the log line and the event: the probe path, not the host. */
  readonly fix: string;
  /** One sentence for the response body: `This looks like kamal-proxy's health check of /health: ...`. */
  readonly sentence: string;
}

/** A container id as Docker shortens it, which kamal-proxy's Host is (`7c7168a662c1:3000`). */
const CONTAINER_ID_HOST = /^[0-9a-f]{12}(?::\d{1,5})?$/;
/** An IPv4 or bracketed IPv6 literal with a port, as Kubernetes and load balancers send. */
const IP_WITH_PORT_HOST = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;
/** Paths that platforms and people give health checks. */
const HEALTH_LIKE_PATH =
  /^\/(?:[\w.-]+\/)*(?:_?health(?:z|check|-check|_check)?|readyz?|readiness|livez?|liveness|alive|ping|status|up|startupz?|hc)\/?$/i;
const LOOPBACK = /^(?:127\.|::1$|::ffff:127\.)/;
/** The longest request path a hint repeats (a real probe path is short). */
const MAX_ECHOED_PATH = 100;

/**
 * Prober-aware hints for rejected requests (docs/host-rules.md, rule 4: the log line gives the fix
 * that works). A platform's health check on a path that is not a probe path is rejected for its Host
 * (a container id, a pod or target IP): the fix that works is the probe path, not the allowlist,
 * where a container id has no business. So when a rejected request looks like one, by its
 * User-Agent (`kamal-proxy`, `kube-probe/`, `ELB-HealthChecker/`, `GoogleHC/`), by curl or wget from
 * loopback on a health-like path (a Docker `HEALTHCHECK`), or by a Host that is a container id or an
 * IP address with a port, the log line, the event and the body say so and name the probe path.
 *
 * The clues pick the words only: the decision is taken before, from the Host and the path alone.
 * A User-Agent is the client's word, and whoever sends `kamal-proxy` gets the same status, just
 * another sentence. The sentence repeats the request's path only when it is a path a probe path
 * could be (checkProbePath: printable ASCII, no dot segments) and short, and the probe paths the
 * app has, which anyone can probe anyway; it suggests making the path a probe path only when it
 * looks like a health check's (`/health`, `/healthz`, `/ready`, ...), never for `/`.
 */
@Injectable()
export class ProberHints {
  private readonly paths: readonly { readonly path: string; readonly kind: ProbeKind }[];
  /** Where the probe paths are set: `the probePaths option`, `config/deploy.yml:12: proxy.healthcheck.path`. */
  private readonly probePathsOrigin: string;

  constructor(
    @Inject(HEALTH_SETTINGS_RESOLUTION) resolution: HealthSettingsResolution,
    @Inject(PROBE_OPTIONS) options: ResolvedProbeOptions,
  ) {
    this.paths = (resolution.settings?.probePaths ?? []).map((path) => ({ path, kind: probeKindOf(path, options) }));
    this.probePathsOrigin = describeOrigins(resolution.origins.probePaths);
  }

  /** The hint for a rejected request, when it looks like a platform's health check. */
  hint(clues: ProberClues): ProberHint | undefined {
    if (clues.method !== 'GET' && clues.method !== 'HEAD') return undefined;
    const recognised = recognise(clues);
    if (recognised === undefined) return undefined;
    const { prober, evidence } = recognised;
    const path = clues.path;
    const echoable = path.length <= MAX_ECHOED_PATH && checkProbePath(path) === undefined;
    // Only a path meant for health checks is worth making a probe path: never `/` (an AWS target
    // group's default), which would answer the home page to every Host.
    const addable = echoable && HEALTH_LIKE_PATH.test(path);
    const pointer = this.pointer(prober);
    const exact = this.paths.find((probe) => sameButForm(probe.path, path));
    // The same fix twice: for the log, naming where the probe paths are set; for the body, without.
    const fix = (where: string): string => {
      if (exact !== undefined) {
        const asked = echoable ? `'${path}'` : 'this path';
        return `probe paths are matched exactly, and ${asked} is not '${exact.path}'; ${pointer ?? `point the check at '${exact.path}'`}`;
      }
      if (!addable) return pointer ?? 'give the check a path of its own, such as /up, and add it to the probe paths';
      const add = `add '${path}' to ${where}`;
      return pointer === undefined ? add : `${add}, or ${pointer}`;
    };
    return {
      prober,
      evidence,
      fix: fix(`the probe paths (${this.probePathsOrigin})`),
      sentence: `This looks like ${possessive(prober)} health check${echoable ? ` of ${path}` : ''}: ${fix("the app's probe paths")}.`,
    };
  }

  /** Where the prober itself is told the right path, with the path to give it. */
  private pointer(prober: ProberName): string | undefined {
    if (this.paths.length === 0) return undefined;
    const first = (...kinds: ProbeKind[]): string => {
      for (const kind of kinds) {
        const found = this.paths.find((probe) => probe.kind === kind);
        if (found !== undefined) return `'${found.path}'`;
      }
      return `'${(this.paths[0] as { path: string }).path}'`;
    };
    const all = this.paths.map((probe) => `'${probe.path}' (${probe.kind})`).join(', ');
    switch (prober) {
      case 'kamal-proxy':
        return `set proxy.healthcheck.path in config/deploy.yml to ${first('liveness', 'startup')}`;
      case 'Kubernetes':
        return `set the probe's httpGet.path to ${this.paths.length === 1 ? first() : `one of ${all}`}`;
      case 'AWS ELB':
        return `set the target group's health check path to ${first('readiness', 'liveness')}`;
      case 'Google Cloud':
        return `set the health check's request path to ${first('readiness', 'liveness')}`;
      case 'Docker HEALTHCHECK':
        return `have the HEALTHCHECK request ${first('liveness')}`;
      case 'a platform health check':
        return `point the health check at ${this.paths.length === 1 ? first() : `one of ${all}`}`;
    }
  }
}

function recognise(clues: ProberClues): { prober: ProberName; evidence: string } | undefined {
  const ua = clues.userAgent;
  if (ua !== undefined) {
    const byAgent = (prober: ProberName) => ({ prober, evidence: `User-Agent ${quoteHostValue(ua, 32)}` });
    if (ua.startsWith('kamal-proxy')) return byAgent('kamal-proxy');
    if (ua.startsWith('kube-probe/')) return byAgent('Kubernetes');
    if (ua.startsWith('ELB-HealthChecker/')) return byAgent('AWS ELB');
    if (ua.startsWith('GoogleHC/')) return byAgent('Google Cloud');
    if (
      (ua.startsWith('curl/') || ua.startsWith('Wget')) &&
      clues.peer !== undefined &&
      LOOPBACK.test(clues.peer) &&
      HEALTH_LIKE_PATH.test(clues.path)
    ) {
      return { prober: 'Docker HEALTHCHECK', evidence: `${ua.startsWith('curl/') ? 'curl' : 'wget'} from loopback` };
    }
  }
  const host = clues.host;
  if (host === undefined) return undefined;
  // Kamal gives kamal-proxy the container's short id as the target; before 0.8.3 it sent Go's User-Agent.
  if (CONTAINER_ID_HOST.test(host)) return { prober: 'kamal-proxy', evidence: 'Host is a container id' };
  if (IP_WITH_PORT_HOST.test(host) && HEALTH_LIKE_PATH.test(clues.path)) {
    return { prober: 'a platform health check', evidence: 'Host is an IP address with a port' };
  }
  return undefined;
}

/** `/up/` and `/UP` for `/up`: what a prober's path looks like when it was meant to be the probe path. */
function sameButForm(probePath: string, path: string): boolean {
  if (probePath === path) return false;
  const strip = (value: string): string => (value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value);
  return strip(probePath).toLowerCase() === strip(path).toLowerCase();
}

function possessive(prober: ProberName): string {
  return prober === 'a platform health check' ? 'a platform' : `${prober}'s`;
}
