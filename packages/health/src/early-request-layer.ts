import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type LoggerService, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { HostDecision, HostMatcher, UpgateSettings } from '@upgate/config';
import { setCheckedHost } from './checked-host.js';
import { HEALTH_LOGGER, HEALTH_SETTINGS, HOST_MATCHER } from './health.constants.js';
import { watchFastifyExtraBindings } from './fastify-extra-bindings.js';
import { escapeForLog, type HostRejection, toRejection } from './host-rejection.js';
import { splitRequestTarget, toHostRequest } from './host-request.js';
import type { NodeRequest, NodeResponse } from './node-request.js';
import { ProbeResponder } from './probe/probe-responder.js';
import { RejectionLog } from './rejection-log.js';
import { type EarlyRequestHandler, hookServerEmit } from './server-emit-hook.js';

const SLASH = 0x2f;

/**
 * The early request layer: installed on the app's HTTP server itself, ahead of the framework's
 * request listener, it sees every request before any `app.use()` middleware (even one registered
 * in `main.ts`), body parser, CORS, static files, prefix, versioning, guard, interceptor, pipe,
 * filter and 404 handler, on Express and Fastify alike (see `hookServerEmit` for how).
 *
 * - A probe (GET or HEAD on a probe path, spec rule 5) is answered here, whatever its Host.
 * - Any other request is decided by the host matcher (rules 1-4): rejected here, or passed on
 *   untouched with its checked host recorded for `getCheckedHost()`.
 * - A WebSocket upgrade is decided the same way; a rejected one gets a raw HTTP/1.1 response and
 *   its socket is destroyed before any upgrade listener of the app sees it.
 */
@Injectable()
export class EarlyRequestLayer implements EarlyRequestHandler, OnModuleInit, OnApplicationShutdown {
  private uninstall: (() => void) | undefined;
  /** The peer address is read only where the trust in `X-Forwarded-Host` depends on it. */
  private readonly withPeer: boolean;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HOST_MATCHER) private readonly matcher: HostMatcher,
    @Inject(HEALTH_SETTINGS) private readonly settings: UpgateSettings,
    private readonly rejections: RejectionLog,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly probes: ProbeResponder,
  ) {
    this.withPeer = Array.isArray(settings.trustProxy);
  }

  /**
   * NestJS 12 has created the HTTP server by the time providers' `onModuleInit` runs (inside
   * `app.init()`, before `listen()`), so installing here covers `app.listen()` as well as
   * `app.init()` + supertest, and precedes the first request.
   */
  onModuleInit(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer?.() as Parameters<typeof hookServerEmit>[0] | undefined;
    if (server === undefined || server === null || typeof server.emit !== 'function') {
      this.logger.debug?.(
        'no HTTP server (a standalone application or a microservice): the early request layer is not installed',
        'upgate',
      );
      return;
    }
    const uninstallers = [hookServerEmit(server, this)];
    const extraBindings = watchFastifyExtraBindings(this.adapterHost.httpAdapter.getInstance?.(), (extra) => {
      uninstallers.push(hookServerEmit(extra, this));
    });
    if (extraBindings?.found === false) {
      this.logger.warn(
        "cannot see Fastify's extra server bindings (this Fastify version keeps them elsewhere): if the app listens on 'localhost', requests over its second address (::1) skip the host check; listen on an explicit address such as '0.0.0.0' or '127.0.0.1'",
        'upgate',
      );
    }
    this.uninstall = () => {
      extraBindings?.stop();
      for (const uninstall of uninstallers.reverse()) uninstall();
    };
    this.logger.debug?.(
      `early request layer installed: probe paths ${this.settings.probePaths.join(', ') || '(none)'}; ${this.settings.allowedHosts.length} allowed host entries`,
      'upgate',
    );
  }

  /**
   * Not in `onModuleDestroy`: the server goes on serving after it (during the probes' shutdown
   * delay, and until `dispose()` has closed it), and none of those requests may skip the host check.
   * `onApplicationShutdown` runs once the server is closed.
   */
  onApplicationShutdown(): void {
    this.uninstall?.();
    this.uninstall = undefined;
    this.rejections.close();
  }

  handleRequest(req: NodeRequest, res: NodeResponse): boolean {
    try {
      const method = req.method ?? '';
      const url = req.url ?? '';
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
   * An upgrade is never a probe (no prober upgrades): it goes through the host check like any other
   * request, and an allowed one goes on to the app's upgrade listeners.
   */
  handleUpgrade(req: NodeRequest, socket: Duplex): boolean {
    try {
      const { path, requestTarget } = splitRequestTarget(req.url ?? '');
      const decision = this.matcher.decideHost(toHostRequest(req, path, requestTarget, this.withPeer));
      if (decision.kind === 'allow') {
        setCheckedHost(req, decision.host);
        return false;
      }
      const rejection = this.report(decision, req, path);
      rejectUpgrade(socket, rejection);
      return true;
    } catch (error) {
      this.logger.error(`host check of an upgrade failed: ${describeError(error)}`, 'upgate');
      socket.destroy();
      return true;
    }
  }

  private decide(req: NodeRequest, res: NodeResponse, path: string, requestTarget: string | undefined): boolean {
    // The probe rule has been decided by the caller: only the host rules are left.
    const decision = this.matcher.decideHost(toHostRequest(req, path, requestTarget, this.withPeer));
    if (decision.kind === 'allow') {
      setCheckedHost(req, decision.host);
      return false;
    }
    const rejection = this.report(decision, req, path);
    res.writeHead(rejection.status, rejectionHeaders(rejection.body, req.httpVersionMajor === 2));
    res.end(rejection.body);
    return true;
  }

  private report(decision: HostDecision, req: NodeRequest, path: string): HostRejection {
    const rejection = toRejection(decision, this.settings.rejectStatus);
    this.rejections.report(
      rejection,
      () =>
        `${escapeForLog(req.method ?? '', 16)} ${escapeForLog(path)} from ${req.socket?.remoteAddress ?? 'unknown peer'}`,
    );
    return rejection;
  }

  /** The probe runner writes the whole response: 200, or 503 on a failed check or during shutdown. */
  private answerProbe(url: string, method: string, res: NodeResponse): true {
    const query = url.indexOf('?');
    this.probes.respond(query === -1 ? url : url.slice(0, query), method as 'GET' | 'HEAD', res);
    return true;
  }

  /** A bug in the layer must neither crash the server nor let the request through unchecked. */
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
 * The raw response to a rejected upgrade: nothing of the app's has the socket yet, so it is written
 * by hand, then the socket is closed (as the `ws` package does for a refused handshake).
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
