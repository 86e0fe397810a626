/**
 * `upgate check --url`: a running app, reached the way kamal-proxy and the public will reach it
 * once deployed. kamal-proxy's health check: `GET <proxy.healthcheck.path>` with
 * `Host: <12-hex container id>:<app_port>` and `User-Agent: kamal-proxy`, redirects followed, 2xx
 * within `proxy.healthcheck.timeout`. The public: each proxy host must not be rejected, and a host
 * nobody lists must be (or upgate's host check is not there).
 */
import { request } from 'node:http';
import type { DeploymentFinding } from '../check/deployment-finding.js';
import { kamalHealthCheckRequestPath } from '../check/kamal-health-check-path.js';
import { KAMAL_PROXY_DEFAULTS, type KamalDeployConfig, type KamalLocation } from '../load/kamal/kamal-deploy-config.js';
import { proxyHostSample } from '../resolve/covers-proxy-host.js';

/** A stand-in for the short container id kamal-proxy puts in the Host of its health checks. */
export const CONTAINER_ID = '7c7168a662c1';

/** A host in a top-level domain reserved never to exist (RFC 2606): no allowlist should let it through. */
export const UNLISTED_HOST = 'unlisted.upgate-check.invalid';

/** How long the requests other than the health check may take. */
const REQUEST_TIMEOUT_MS = 10_000;

/** kamal-proxy follows at most this many redirects (Go's http.Client default). */
const MAX_REDIRECTS = 10;

/** Statuses upgate rejects a well-formed host with (`rejectStatus`). */
const REJECT_STATUSES = [400, 403, 421];

export interface PreflightResult {
  /** One line per request made, for the report. */
  readonly lines: readonly string[];
  readonly findings: readonly DeploymentFinding[];
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly location: string | undefined;
  readonly ms: number;
}

type Outcome = Reply | { readonly error: string; readonly timedOut: boolean };

/** The URL checked, or why it cannot be. */
export function preflightTarget(url: string): URL | string {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return `--url ${JSON.stringify(url)} is not a URL; write the address the app listens on, e.g. http://127.0.0.1:3000`;
  }
  if (target.protocol !== 'http:') {
    return `--url ${JSON.stringify(url)} is not plain http://; kamal-proxy talks plain HTTP to the app, e.g. http://127.0.0.1:3000`;
  }
  if (target.pathname !== '/' || target.search !== '' || target.username !== '') {
    return `--url ${JSON.stringify(url)} has more than a scheme, host and port; write e.g. http://127.0.0.1:3000`;
  }
  return target;
}

export async function preflight(target: URL, deploy: KamalDeployConfig): Promise<PreflightResult> {
  const lines: string[] = [];
  const findings: DeploymentFinding[] = [];
  const { proxy } = deploy;
  const at = (key: string): { location?: KamalLocation } => {
    const location = deploy.locate(key);
    return location ? { location } : {};
  };

  // The public's side first: its rejection is what a rejected probe looks like.
  const unlisted = await send(target, '/', { Host: UNLISTED_HOST });
  if ('error' in unlisted) {
    lines.push(`  GET /  Host: ${UNLISTED_HOST}  -> ${unlisted.error}`);
    findings.push({
      rule: 'preflight-unreachable',
      severity: 'error',
      message: `nothing answers at ${target.origin}: ${unlisted.error}`,
      fix: "start the app (as in production: NODE_ENV=production, the image's environment) and give the address it listens on to --url",
    });
    return { lines, findings };
  }
  const unlistedRejected = REJECT_STATUSES.includes(unlisted.status);
  lines.push(`  GET /  Host: ${UNLISTED_HOST}  -> ${show(unlisted)}${unlistedRejected ? ' (rejected)' : ''}`);
  if (!unlistedRejected) {
    findings.push({
      rule: 'preflight-unlisted-host',
      severity: 'error',
      message: `the app answered GET / with Host '${UNLISTED_HOST}', a host no allowlist lists, with ${unlisted.status}: its host check lets any Host reach the app's code (an allowlist of '*', or no HealthModule)`,
      fix: "import HealthModule in the app's root module, and list the app's hosts (proxy.host(s) in the deploy file, ALLOWED_HOSTS or the allowedHosts option) instead of '*'",
    });
  }
  // upgate adds a sentence to the rejection of a request that looks like a health check (kamal-proxy's
  // User-Agent, a container id as Host): the same rejection as the unlisted host's otherwise.
  const withoutProberHint = (body: string): string => body.replace(/ This looks like [^"\n]*/, '');
  const rejected = (reply: Reply): boolean =>
    unlistedRejected
      ? reply.status === unlisted.status && withoutProberHint(reply.body) === unlisted.body
      : REJECT_STATUSES.includes(reply.status) && /host/i.test(reply.body);

  for (const [index, host] of proxy.hosts.entries()) {
    const sample = proxyHostSample(host);
    const reply = await send(target, '/', {
      Host: sample,
      // What kamal-proxy adds on the way (its own values when it terminates TLS).
      'X-Forwarded-For': '203.0.113.10',
      'X-Forwarded-Proto': proxy.ssl ? 'https' : 'http',
      'X-Forwarded-Host': sample,
    });
    const key = deploy.locate(`proxy.hosts[${index}]`)
      ? `proxy.hosts[${index}]`
      : deploy.locate('proxy.hosts')
        ? 'proxy.hosts'
        : 'proxy.host';
    if ('error' in reply) {
      lines.push(`  GET /  Host: ${sample}  -> ${reply.error}`);
      findings.push({
        rule: 'preflight-host',
        severity: 'error',
        key,
        ...at(key),
        message: `GET / with Host '${sample}', as kamal-proxy forwards a request for '${host}', got no answer: ${reply.error}`,
        fix: 'see why the app does not answer it (its logs)',
      });
      continue;
    }
    const isRejected = rejected(reply);
    lines.push(`  GET /  Host: ${sample}  -> ${show(reply)}${isRejected ? ' (rejected)' : ' (not rejected)'}`);
    if (isRejected) {
      findings.push({
        rule: 'preflight-host',
        severity: 'error',
        key,
        ...at(key),
        message: `kamal-proxy routes '${host}' to the app, but the app rejects it: GET / with Host '${sample}' got ${show(reply)}, as a host no one lists does`,
        fix: `add '${host.startsWith('*.') ? host.slice(1) : host}' to the app's allowed hosts (the deploy file it reads, ALLOWED_HOSTS or the allowedHosts option), or remove it from ${key.replace(/\[\d+\]$/, '')}`,
      });
    }
  }

  // kamal-proxy's health check, as it sends it.
  const configured = proxy.healthcheck.path;
  const path = kamalHealthCheckRequestPath(configured) ?? '/';
  const timeoutSeconds = proxy.healthcheck.timeout ?? KAMAL_PROXY_DEFAULTS.healthcheckTimeout;
  const probeHost = `${CONTAINER_ID}:${proxy.appPort}`;
  const headers = { Host: probeHost, 'User-Agent': 'kamal-proxy' };
  const started = performance.now();
  let current = path;
  let outcome: Outcome = await send(target, current, headers, timeoutSeconds * 1000);
  const hops: string[] = [];
  for (
    let redirects = 0;
    !('error' in outcome) && isRedirect(outcome.status) && redirects < MAX_REDIRECTS;
    redirects++
  ) {
    const next =
      outcome.location === undefined ? undefined : new URL(outcome.location, `http://${probeHost}${current}`);
    if (next === undefined || next.protocol !== 'http:' || next.host !== probeHost) break;
    hops.push(`${outcome.status} -> ${next.pathname}${next.search}`);
    current = `${next.pathname}${next.search}`;
    const left = timeoutSeconds * 1000 - (performance.now() - started);
    outcome = await send(target, current, headers, Math.max(1, left));
  }
  const via = hops.length > 0 ? ` (after ${hops.join(', ')})` : '';
  lines.push(
    `  GET ${path}  Host: ${probeHost}  User-Agent: kamal-proxy  -> ${'error' in outcome ? outcome.error : show(outcome)}${via}`,
  );
  const pathKey = 'proxy.healthcheck.path';
  const sent = `GET ${path} with Host '${probeHost}' and User-Agent 'kamal-proxy', as kamal-proxy checks the new container`;
  if ('error' in outcome) {
    findings.push({
      rule: 'preflight-probe',
      severity: 'error',
      key: outcome.timedOut ? 'proxy.healthcheck.timeout' : pathKey,
      ...at(outcome.timedOut ? 'proxy.healthcheck.timeout' : pathKey),
      message: `${sent}, got no answer: ${outcome.error}; kamal-proxy would count it as failed, and the deploy times out`,
      fix: outcome.timedOut
        ? `make ${quote(path)} answer within ${timeoutSeconds} s: a liveness probe runs no dependency checks; or raise proxy.healthcheck.timeout`
        : 'see why the app does not answer it (its logs)',
    });
  } else if (outcome.status < 200 || outcome.status > 299) {
    const hostCheck = rejected(outcome);
    findings.push({
      rule: 'preflight-probe',
      severity: 'error',
      key: pathKey,
      ...at(pathKey),
      message: `${sent}, got ${show(outcome)}${via}${
        hostCheck
          ? `: the app's host check rejected it, so ${quote(current)} is not one of the app's probe paths (they are answered whatever the Host)`
          : isRedirect(outcome.status)
            ? `: a redirect kamal-proxy follows to ${outcome.location ?? 'nowhere'}, away from the app`
            : ''
      }; kamal-proxy needs a 2xx, so the new container never turns healthy and the deploy fails`,
      fix: `make ${quote(current)} a probe path of the app (the deployFile option reads it from proxy.healthcheck.path; or HEALTH_PROBE_PATHS, the probePaths option, a key of the probes option), or set proxy.healthcheck.path to the app's liveness path`,
    });
  }
  return { lines, findings };
}

function isRedirect(status: number): boolean {
  return [301, 302, 303, 307, 308].includes(status);
}

const quote = (value: string): string => `'${value}'`;

/** `404 in 3 ms ("Not Found")`. */
function show(reply: Reply): string {
  const body = reply.body.trim();
  const snippet = body === '' ? '' : ` ${JSON.stringify(body.length > 100 ? `${body.slice(0, 100)}...` : body)}`;
  return `${reply.status}${snippet} in ${Math.round(reply.ms)} ms`;
}

/** One request to the app's address with these headers (the Host as given), no keep-alive. */
function send(
  target: URL,
  path: string,
  headers: Record<string, string>,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Outcome> {
  const started = performance.now();
  return new Promise((done) => {
    const req = request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port === '' ? 80 : Number(target.port),
        path,
        method: 'GET',
        agent: false,
        headers,
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            body,
            location: typeof res.headers.location === 'string' ? res.headers.location : undefined,
            ms: performance.now() - started,
          }),
        );
        res.on('error', (error) => done({ error: error.message, timedOut: false }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      done({ error: `no answer within ${Math.round(timeoutMs / 100) / 10} s`, timedOut: true });
    });
    req.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message, timedOut: false }));
    req.end();
  });
}
