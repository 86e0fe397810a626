import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { HostDecision, HostMatcher, HostRequest, UpgateSettings } from '@upgate/config';
import { HEALTH_LOGGER, HEALTH_SETTINGS, HOST_MATCHER } from '../health.constants.js';
import { ProbeResponder } from '../probe/probe-responder.js';
import { setCheckedHost } from './checked-host.js';
import { ForwardedHostTrust } from './forwarded-host-trust.js';
import { type HostRejection, toRejection } from './host-rejection.js';
import { type FrameworkTrust, splitRequestTarget, toHostRequest } from './host-request.js';
import type { NodeRequest, NodeResponse } from './node-request.js';
import { RejectionLog } from './rejection-log.js';

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
 * - A WebSocket upgrade or an HTTP/1 CONNECT is decided the same way; a rejected one gets a raw
 *   HTTP/1.1 response and its socket is closed before any listener of the app sees it.
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
    @Inject(HEALTH_SETTINGS) private readonly settings: UpgateSettings,
    private readonly rejections: RejectionLog,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
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
      this.logger.error(`host check of an upgrade failed: ${describeError(error)}`, 'upgate');
      socket.destroy();
      return true;
    }
  }

  /** What the host rules look at in `req` (shared with `HostGuard`, whose matcher is a route's). */
  hostRequest(req: NodeRequest, path: string, requestTarget: string | undefined): HostRequest {
    return toHostRequest(req, path, requestTarget, this.withPeer, this.frameworkTrusts);
  }

  /** The rejection of a decision, logged (rate-limited). */
  reject(decision: HostDecision, req: NodeRequest, path: string): HostRejection {
    const rejection = toRejection(decision, this.settings.rejectStatus);
    this.rejections.report(rejection, req, path);
    return rejection;
  }

  private decide(req: NodeRequest, res: NodeResponse, path: string, requestTarget: string | undefined): boolean {
    // The probe rule has been decided by the caller: only the host rules are left.
    const decision = this.matcher.decideHost(this.hostRequest(req, path, requestTarget));
    if (decision.kind === 'allow') {
      setCheckedHost(req, decision.host);
      return false;
    }
    const rejection = this.reject(decision, req, path);
    res.writeHead(rejection.status, rejectionHeaders(rejection.body, req.httpVersionMajor === 2));
    // A node server drops a HEAD response's body itself; a response with no server behind it
    // (inject()'s) would keep it.
    if (req.method === 'HEAD') res.end();
    else res.end(rejection.body);
    return true;
  }

  /** The probe runner writes the whole response: 200, or 503 on a failed check or during shutdown. */
  private answerProbe(url: string, method: string, res: NodeResponse): true {
    const query = url.indexOf('?');
    this.probes.respond(query === -1 ? url : url.slice(0, query), method as 'GET' | 'HEAD', res);
    return true;
  }

  /** A bug in the gate must neither crash the server nor let the request through unchecked. */
  private fail(res: NodeResponse, error: unknown): true {
    this.logger.error(`host check failed, answering 500: ${describeError(error)}`, 'upgate');
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

function rejectionHeaders(body: string, http2: boolean): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
  };
  // A client that sent a bad Host has nothing more to say on this connection. HTTP/2 forbids the
  // header (node throws on it): there, only this stream ends.
  if (!http2) headers['connection'] = 'close';
  return headers;
}

/**
 * The raw response to a rejected upgrade or CONNECT: nothing of the app's has the socket yet, so it
 * is written by hand, then the socket is closed (as the `ws` package does for a refused handshake).
 */
function rejectUpgrade(socket: Duplex, rejection: HostRejection): void {
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body } = rejection;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n` +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n' +
      '\r\n' +
      body,
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
