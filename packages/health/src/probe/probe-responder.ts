import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { Injectable } from '@nestjs/common';
import { HealthLog } from '../observe/health-log.js';
import { type ProbeAnswer, ProbeChecks } from './probe-checks.js';
import { ProbeObserver, type ProbeRoute } from './probe-observer.js';
import type { ProbeReply, ProbeResponse } from './probe-reply.js';
import { writeProbeReply } from './probe-reply.js';
import { ProbeShutdown } from './probe-shutdown.js';

const QUESTION = 0x3f;

interface ProbePath {
  readonly path: string;
  readonly route: ProbeRoute;
  readonly answer: ProbeAnswer | undefined;
}

/** The path of a request target, for a probe path not known at start-up. */
function withoutQuery(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * Answers a probe request whole: status, headers (`Content-Type`, `Cache-Control: no-store`,
 * `Content-Length`) and body (none for HEAD). It never depends on the request's Host and never
 * throws into its caller: whatever goes wrong becomes a 503.
 *
 * The hot path (a liveness probe: a prebuilt reply) costs what it did before events and metrics:
 * one string comparison per probe path to find the path (its answer and its route in one entry),
 * then two field reads to find that nobody listens and metrics are off. With metrics on, a probe adds one `inc()` of a counter bound at start-up; with a listener,
 * one event object.
 */
@Injectable()
export class ProbeResponder {
  /** Probes waiting for a run: answered at once when shutdown begins, not when their run ends. */
  private readonly waiting = new Map<ProbeResponse, { route: ProbeRoute; head: boolean }>();
  private readonly metricsOn: boolean;
  /** Each probe path with its route and answer (none: liveness without checks), looked up once per probe. */
  private readonly paths: readonly ProbePath[];

  constructor(
    private readonly checks: ProbeChecks,
    private readonly shutdown: ProbeShutdown,
    private readonly observer: ProbeObserver,
    private readonly log: HealthLog,
  ) {
    this.metricsOn = observer.metricsOn;
    this.paths = [...observer.routes()].map((route) => ({ path: route.path, route, answer: checks.get(route.path) }));
    shutdown.whenShuttingDown(() => {
      for (const [res, { route, head }] of this.waiting) {
        this.send(res, route, this.checks.replies.shuttingDown, head);
      }
      this.waiting.clear();
    });
  }

  /**
   * @param target the request target the host matcher found to be a probe: a probe path, maybe with a query
   * @param method the probe's method; HEAD gets the headers of GET without the body
   * @param res the response to write, HTTP/1 or HTTP/2 compatibility API
   */
  respond(target: string, method: 'GET' | 'HEAD', res: ServerResponse | Http2ServerResponse): void {
    const response = res as ProbeResponse;
    const head = method === 'HEAD';
    const known = this.find(target);
    const path = known === undefined ? withoutQuery(target) : known.path;
    const route = known?.route ?? this.observer.route(path);
    try {
      let reply: ProbeReply | Promise<ProbeReply>;
      if (this.shutdown.isShuttingDown) reply = this.shuttingDownReply(response);
      else {
        const answer = known === undefined ? this.checks.get(path) : known.answer;
        // Liveness: a prebuilt response, no check, no promise.
        reply = answer === undefined ? this.checks.replies.live : answer.reply();
      }
      if (reply instanceof Promise) {
        this.waiting.set(response, { route, head });
        reply.then((finished) => {
          this.waiting.delete(response);
          this.send(response, route, finished, head);
        });
        return;
      }
      writeProbeReply(response, reply, head);
      if (this.metricsOn || this.observer.events.active) this.observer.answered(route, method, reply);
    } catch (error) {
      this.fail(response, route, error, head);
    }
  }

  /**
   * The probe path `target` names, compared rather than looked up in a Map: a request's target is a
   * string new to V8 each time, which a Map lookup would hash first, and there are a few paths.
   */
  private find(target: string): ProbePath | undefined {
    const paths = this.paths;
    for (let i = 0; i < paths.length; i++) {
      const known = paths[i] as ProbePath;
      const length = known.path.length;
      if (
        target.length === length
          ? target === known.path
          : target.charCodeAt(length) === QUESTION && target.startsWith(known.path)
      )
        return known;
    }
    return undefined;
  }

  private send(res: ProbeResponse, route: ProbeRoute, reply: ProbeReply, head: boolean): void {
    try {
      // The prober may have given up and closed the connection while the checks ran.
      if (res.writableEnded || res.headersSent) return;
      // Shutdown may have begun while the checks ran.
      const sent = this.shutdown.isShuttingDown ? this.shuttingDownReply(res) : reply;
      writeProbeReply(res, sent, head);
      if (this.metricsOn || this.observer.events.active) this.observer.answered(route, head ? 'HEAD' : 'GET', sent);
    } catch (error) {
      this.fail(res, route, error, head);
    }
  }

  /**
   * HTTP/2 forbids `Connection: close`. The response of an HTTP/2 request is told by the request's
   * version, as the gate tells it, rather than by `instanceof Http2ServerResponse`, for which an
   * Express app (Fastify loads it anyway) would load `node:http2` at start-up.
   */
  private shuttingDownReply(res: ProbeResponse): ProbeReply {
    const replies = this.checks.replies;
    const http2 = (res as { req?: { httpVersionMajor?: number } }).req?.httpVersionMajor === 2;
    return http2 ? replies.shuttingDown : replies.shuttingDownClose;
  }

  private fail(res: ProbeResponse, route: ProbeRoute, error: unknown, head: boolean): void {
    this.log.error(`answering a probe of ${route.path} failed; answering 503`, error);
    try {
      if (!res.headersSent) {
        writeProbeReply(res, this.checks.replies.failed, head);
      } else if (!res.writableEnded) {
        res.destroy();
      }
    } catch {
      // Nothing is left to answer with: the connection is gone.
    }
  }
}
