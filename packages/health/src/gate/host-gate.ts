import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { HostDecision, HostMatcher, HostRequest, UpgateSettings } from '@upgate/config';
import { HEALTH_SETTINGS, HOST_MATCHER } from '../health.constants.js';
import { HealthLog } from '../observe/health-log.js';
import { ProbeResponder } from '../probe/probe-responder.js';
import { setCheckedHost } from './checked-host.js';
import { ForwardedHostTrust } from './forwarded-host-trust.js';
import type { HostRejection } from './host-rejection.js';
import { HostRejections } from './host-rejections.js';
import { type FrameworkTrust, splitRequestTarget, toHostRequest } from './host-request.js';
import type { NodeRequest, NodeResponse } from './node-request.js';

const SLASH = 0x2f;

/**
 * The one decision both gates take (docs/host-rules.md): the server gate on every HTTP server of the
 * app (`server/server-gate.ts`), and the framework gate, the first handler of Express or Fastify
 * (`framework-gate.ts`), for whatever no server gate saw. So a request is answered the same way
 * whichever gate sees it first.
 *
 * - A probe (GET or HEAD on a probe path, rule 5) is answered here, whatever its Host.
 * - Any other request is decided by the host matcher (rules 1-4): rejected here (rule 4), or passed
 *   on untouched with its checked host recorded, which also marks it as decided.
 * - A WebSocket upgrade or an HTTP/1 CONNECT is decided the same way; a rejected one gets the same
 *   response (status, headers and body in the `rejectionResponse` format) written raw as HTTP/1.1,
 *   and its socket is closed before any listener of the app sees it.
 *
 * `true` from a handler means "answered here: the app must not see it".
 */
@Injectable()
export class HostGate {
  /** The peer address is read only where the trust in `X-Forwarded-Host` depends on it. */
  private readonly withPeer: boolean;
  private readonly frameworkTrusts: FrameworkTrust | undefined;

  constructor(
    @Inject(HOST_MATCHER) private readonly matcher: HostMatcher,
    @Inject(HEALTH_SETTINGS) settings: UpgateSettings,
    private readonly rejections: HostRejections,
    private readonly log: HealthLog,
    private readonly probes: ProbeResponder,
    trust: ForwardedHostTrust,
  ) {
    this.withPeer = Array.isArray(settings.trustProxy);
    this.frameworkTrusts = trust.trusts;
  }

  /**
   * A request with a response to write: `request`, `checkContinue`, `checkExpectation`, an HTTP/2
   * CONNECT, or any request the framework gate decides.
   * @param url the request target as the client sent it (a framework may have rewritten `req.url`)
   */
  handleRequest(req: NodeRequest, res: NodeResponse, url: string = req.url ?? ''): boolean {
    try {
      const method = req.method ?? '';
      // The cheapest path first: a probe is one string comparison away.
      if (url.charCodeAt(0) === SLASH) {
        if (this.matcher.isProbe(method, url)) return this.answerProbe(url, method, res);
        return this.decide(req, res, url, undefined);
      }
      const { path, requestTarget } = splitRequestTarget(url);
      if (this.matcher.isProbe(method, path)) return this.answerProbe(path, method, res);
      return this.decide(req, res, path, requestTarget);
    } catch (error) {
      return this.fail(res, error);
    }
  }

  /**
   * A WebSocket upgrade or an HTTP/1 CONNECT, whose socket the app would take over. Never a probe (no
   * prober upgrades): it goes through the host check like any other request, and an allowed one goes
   * on to the app's listeners.
   */
  handleUpgrade(req: NodeRequest, socket: Duplex): boolean {
    try {
      const { path, requestTarget } = splitRequestTarget(req.url ?? '');
      const decision = this.matcher.decideHost(this.hostRequest(req, path, requestTarget));
      if (decision.kind === 'allow') {
        setCheckedHost(req, decision.host);
        return false;
      }
      rejectUpgrade(socket, this.reject(decision, req, path));
      return true;
    } catch (error) {
      this.log.error('host check of an upgrade failed; closing its connection', error);
      socket.destroy();
      return true;
    }
  }

  /** What the host rules look at in `req` (shared with `HostGuard`, whose matcher is a route's). */
  hostRequest(req: NodeRequest, path: string, requestTarget: string | undefined): HostRequest {
    return toHostRequest(req, path, requestTarget, this.withPeer, this.frameworkTrusts);
  }

  /**
   * The rejection of a decision: its response, logged (rate-limited), counted, told to listeners.
   * `onRoute`: `HostGuard`'s, for a route's `@AllowHosts()` list.
   */
  reject(decision: HostDecision, req: NodeRequest, path: string, onRoute = false): HostRejection {
    return this.rejections.reject(decision, req, path, onRoute);
  }

  private decide(req: NodeRequest, res: NodeResponse, path: string, requestTarget: string | undefined): boolean {
    // The probe rule has been decided by the caller: only the host rules are left.
    const decision = this.matcher.decideHost(this.hostRequest(req, path, requestTarget));
    if (decision.kind === 'allow') {
      setCheckedHost(req, decision.host);
      return false;
    }
    const rejection = this.reject(decision, req, path);
    res.writeHead(rejection.status, rejectionHeaders(rejection, req.httpVersionMajor === 2));
    // A node server drops a HEAD response's body itself; a response with no server behind it
    // (inject()'s) would keep it.
    if (req.method === 'HEAD') res.end();
    else res.end(rejection.body);
    return true;
  }

  /** The probe runner writes the whole response: 200, or 503 on a failed check or during shutdown. */
  private answerProbe(target: string, method: string, res: NodeResponse): true {
    this.probes.respond(target, method as 'GET' | 'HEAD', res);
    return true;
  }

  /** A bug in the gate must neither crash the server nor let the request through unchecked. */
  private fail(res: NodeResponse, error: unknown): true {
    this.log.error('host check failed, answering 500', error);
    try {
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('Internal Server Error\n');
    } catch {
      // The response is beyond saving; the connection will be closed by the server.
    }
    return true;
  }
}

function rejectionHeaders(rejection: HostRejection, http2: boolean): Record<string, string | number> {
  // Today's order (Content-Type, Content-Length, Cache-Control, Connection), a function's headers
  // after the Content-Type; `Cache-Control: no-store` unless the function set it.
  const headers: Record<string, string | number> = {
    ...rejection.headers,
    'content-length': Buffer.byteLength(rejection.body),
  };
  headers['cache-control'] ??= 'no-store';
  // A client that sent a bad Host has nothing more to say on this connection. HTTP/2 forbids the
  // header (node throws on it): there, only this stream ends.
  if (!http2) headers['connection'] = 'close';
  return headers;
}

/**
 * The raw response to a rejected upgrade or CONNECT: nothing of the app's has the socket yet, so it
 * is written by hand (the same status, headers and body as any rejection, in the app's format),
 * then the socket is closed (as the `ws` package does for a refused handshake). The headers were
 * checked when the rejection was built (`checkFunctionResponse`), so none can split the response.
 */
function rejectUpgrade(socket: Duplex, rejection: HostRejection): void {
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status } = rejection;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(rejectionHeaders(rejection, false))) {
    head += `${headerCase(name)}: ${value}\r\n`;
  }
  socket.once('finish', () => socket.destroy());
  socket.write(`${head}\r\n`);
  socket.end(rejection.body);
}

/** `content-type` -> `Content-Type`, as node writes the headers of its own responses. */
function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}
