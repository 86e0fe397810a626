import { Socket } from 'node:net';
import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HealthLog } from '../observe/health-log.js';
import { ProbeChecks } from '../probe/probe-checks.js';
import { isDecided } from './checked-host.js';
import { type ExpressFront, putInFrontOfExpress } from './express-router-front.js';
import { type FastifyOnRequest, putFirstInFastify } from './fastify-first-hook.js';
import { HostGate } from './host-gate.js';
import type { NodeRequest, NodeResponse } from './node-request.js';

/** Set on the process once the warning about an ungated server is logged: one per process, whatever the copies of this package. */
const WARNED_UNGATED_SERVER = Symbol.for('upgate.warned-ungated-server');

type Framework = 'Express' | 'Fastify';

/**
 * The framework gate: the host decision as the very first handler of Express or Fastify
 * (docs/host-rules.md, rule 6), for the requests that reach the framework without passing a server
 * gate: Fastify's `inject()` (how NestJS tests Fastify apps, and what aws-lambda-fastify calls in
 * production), serverless handlers that call the Express app directly, servers the app makes around
 * the framework's handler. A request the server gate decided carries its checked host: for it, this
 * gate costs one property read.
 *
 * A request decided here gets exactly the answer the server gate would have given (probe, rejection);
 * an allowed one gets its checked host for `getCheckedHost()`, `@CheckedHost()` and `@AllowHosts()`.
 * One that came over a real connection means a server no gate saw: logged once per process (inject
 * and serverless calls have no real socket, and are what this gate is for).
 */
@Injectable()
export class FrameworkGate implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private framework: Framework | undefined;
  private express: ReturnType<typeof putInFrontOfExpress> | undefined;
  private remove: (() => void) | undefined;
  private active = true;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly gate: HostGate,
    private readonly log: HealthLog,
    private readonly probeChecks: ProbeChecks,
  ) {}

  /**
   * After the adapter's own layer and hooks, `main.ts`'s `app.use()` and hooks, and Nest's routes and
   * middleware are registered (`app.init()` registers them before any `onModuleInit`), and before
   * the framework serves its first request: the gate goes in front of all of them.
   */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as { getType?: () => string; getInstance?: () => unknown } | undefined;
    if (adapter === undefined || adapter === null) return; // a standalone application: no framework
    const type = adapter.getType?.();
    const instance = adapter.getInstance?.();
    if (type === 'express') {
      this.framework = 'Express';
      this.express = putInFrontOfExpress(instance, this.expressFront);
      this.remove = this.express.remove;
    } else if (type === 'fastify') {
      this.framework = 'Fastify';
      this.remove = putFirstInFastify(instance, this.fastifyHook).remove;
    } else {
      throw new Error(
        `upgate: the HTTP adapter is '${String(type)}', where upgate cannot put its host check in front of the framework, so requests that reach it without passing a gated server would go unchecked; use @nestjs/platform-express or @nestjs/platform-fastify`,
      );
    }
  }

  /** Another module's `onModuleInit` may have wrapped Express's router in turn: the gate goes back in front. */
  onApplicationBootstrap(): void {
    if (this.express === undefined || this.express.stillFirst()) return;
    this.express.moveFirst();
    this.log.debug("the host check was no longer in front of Express's router; put back in front");
  }

  onApplicationShutdown(): void {
    this.active = false;
    this.remove?.();
    this.remove = undefined;
    this.express = undefined;
  }

  /** Express: in front of its router; `true` means answered, and the router never sees the request. */
  private readonly expressFront: ExpressFront = (req, res) => {
    const request = req as NodeRequest & { originalUrl?: string };
    if (!this.active || isDecided(request)) return false;
    const response = res as NodeResponse;
    // Express sets it before its router runs; the server gate's answers have none.
    const poweredBy = response.getHeader('x-powered-by');
    if (poweredBy !== undefined) response.removeHeader('x-powered-by');
    // A parent app the Nest app is mounted in has cut its mount path off `url`.
    if (this.decide(request, response, request.originalUrl ?? request.url ?? '')) return true;
    if (poweredBy !== undefined) response.setHeader('x-powered-by', poweredBy);
    return false;
  };

  /** Fastify: an answered request is hijacked (Fastify sends nothing more) and never goes on. */
  private readonly fastifyHook: FastifyOnRequest = (request, reply, done) => {
    const raw = (request as { raw: NodeRequest & { originalUrl?: string } }).raw;
    if (!this.active || isDecided(raw)) return done();
    const fastifyReply = reply as { raw: NodeResponse; hijack(): void };
    // `rewriteUrl` may have changed `url`; the probe rule reads the target as sent.
    if (this.decide(raw, fastifyReply.raw, raw.originalUrl ?? raw.url ?? '')) {
      fastifyReply.hijack();
      return;
    }
    done();
  };

  private decide(req: NodeRequest, res: NodeResponse, url: string): boolean {
    if (req.socket instanceof Socket) {
      this.warnUngatedServer(req.socket);
      // A server no gate saw listens (the adapter's may never): the app has started.
      this.probeChecks.serverListening();
    }
    return this.gate.handleRequest(req, res, url);
  }

  private warnUngatedServer(socket: Socket): void {
    const registry = process as unknown as Record<symbol, true | undefined>;
    if (registry[WARNED_UNGATED_SERVER]) return;
    registry[WARNED_UNGATED_SERVER] = true;
    const framework = this.framework ?? 'the framework';
    this.log.warn(
      `a request reached ${framework} over a connection to ${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}, a server upgate has not gated: one the app made around ${framework}'s handler (NestJS's "multiple servers" recipe, ${framework === 'Fastify' ? "Fastify's routing()" : 'http.createServer(app), getInstance().listen()'}). Its requests are host-checked in ${framework}, but its 'Expect: 100-continue', 'upgrade' and 'connect' events are not, and its probes pay for ${framework === 'Express' ? 'an' : 'a'} ${framework} request; gate it before it listens: app.get(ServerGates).gate(server) (logged once per process)`,
    );
  }
}
