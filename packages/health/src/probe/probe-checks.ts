import { EventEmitter } from 'node:events';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, LazyModuleLoader } from '@nestjs/core';
import type { ResolvedProbeOptions } from './probe-options.js';
import { ProbeCheck } from './probe-check.js';
import { ProbeObserver } from './probe-observer.js';
import { ProbeReplies } from './probe-replies.js';
import type { ProbeReply } from './probe-reply.js';
import { PROBE_OPTIONS } from './probe.tokens.js';
import { Readiness } from './readiness.js';

/** What a probe path answers through. */
export interface ProbeAnswer {
  reply(): ProbeReply | Promise<ProbeReply>;
}

type Reply = ProbeReply | Promise<ProbeReply>;

/**
 * What each probe path answers, by its kind:
 * - liveness (a path neither readiness nor startup): its checks, if it has any; nothing else.
 * - startup: 503 until the app has started (its server listens and the startup checks, this path's
 *   entry in `probes`, passed once), then 200 for good.
 * - readiness: 503 until the app has started, then 503 while the app has marked itself not ready
 *   (`Readiness`), then its checks.
 *
 * terminus is loaded only when some path has checks, and then lazily, once the app's own modules
 * exist: liveness alone (the default) costs neither its start-up time nor its memory.
 */
@Injectable()
export class ProbeChecks implements OnModuleInit, OnApplicationBootstrap {
  readonly replies: ProbeReplies;
  private readonly answers = new Map<string, ProbeAnswer>();
  /** The checks of each path that has some: a placeholder answering "starting" until terminus is wired. */
  private readonly checks = new Map<string, ProbeAnswer>();
  private listening = false;
  private started = false;
  private notReadyFor: readonly string[] | undefined;
  private notReadyReply: ProbeReply | undefined;

  constructor(
    @Inject(PROBE_OPTIONS) private readonly options: ResolvedProbeOptions,
    private readonly lazyModules: LazyModuleLoader,
    private readonly readiness: Readiness,
    private readonly adapterHost: HttpAdapterHost,
    private readonly observer: ProbeObserver,
  ) {
    this.replies = new ProbeReplies(options.probeDetails);
    const starting: ProbeAnswer = { reply: () => this.replies.starting };
    for (const [path, indicators] of options.probes) {
      if (indicators.length > 0) this.checks.set(path, starting);
    }
    const { readinessPaths, startupPath } = options;
    for (const path of readinessPaths) this.answers.set(path, { reply: () => this.readinessReply(path) });
    if (startupPath !== undefined) this.answers.set(startupPath, { reply: () => this.startupReply() });
    for (const path of this.checks.keys()) {
      if (!this.answers.has(path)) this.answers.set(path, { reply: () => this.checksReply(path) });
    }
  }

  /** The answer of `path`, or undefined when it is liveness without checks. */
  get(path: string): ProbeAnswer | undefined {
    return this.answers.get(path);
  }

  /**
   * Start-up ends when an HTTP server of the app listens: the adapter's, by `app.listen()` (whose
   * promise resolves right after the server's 'listening' event, which we hear first, having
   * subscribed before it) or by a test client such as supertest after `app.init()`; or one the app
   * made itself around the framework's handler, where the adapter's never listens (NestJS's
   * "multiple servers" recipe: `serverListening`).
   */
  onModuleInit(): void {
    const server: unknown = this.adapterHost.httpAdapter?.getHttpServer?.();
    if (server instanceof EventEmitter) this.watch(server);
  }

  /** Start-up ends when `server` listens (now, if it does already). */
  watch(server: EventEmitter): void {
    if ((server as { listening?: boolean }).listening === true) this.serverListening();
    else server.once('listening', () => this.serverListening());
  }

  /** A server of the app listens: start-up ends once the startup checks (if any) have passed. */
  serverListening(): void {
    if (this.listening) return;
    this.listening = true;
    const startup = this.options.startupPath;
    if (startup === undefined || !this.checks.has(startup)) {
      this.started = true;
      return;
    }
    // The startup checks begin at once (a migration, a warm-up), not at the first probe.
    void this.startupReply();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.checks.size === 0) return;
    const { TerminusModule, HealthCheckService } = await importTerminus([...this.checks.keys()]);
    // A TerminusModule of our own whose logger is off: its HealthCheckService would log
    // `Health Check has failed!` for every failed run, i.e. for every probe of a failing path, and
    // under a context of its own. The ProbeObserver logs a change of state instead, in the
    // module's voice. The result's shape stays terminus' own.
    const terminus = await this.lazyModules.load(() => TerminusModule.forRoot({ logger: false }), { logger: false });
    const health = terminus.get(HealthCheckService);
    const { probeTimeoutMs, probeCacheMs } = this.options;
    for (const [path, indicators] of this.options.probes) {
      if (indicators.length === 0) continue;
      this.checks.set(
        path,
        new ProbeCheck(
          path,
          indicators,
          (list) => health.check(list),
          this.replies,
          probeTimeoutMs,
          probeCacheMs,
          this.observer,
        ),
      );
    }
    // A server that listened before the checks were wired (it rarely does) starts them now.
    if (this.listening) void this.startupReply();
  }

  private startupReply(): Reply {
    if (this.started) return this.replies.live;
    if (!this.listening) return this.replies.starting;
    const startup = this.options.startupPath;
    const checks = startup === undefined ? undefined : this.checks.get(startup);
    if (checks === undefined) {
      this.started = true;
      return this.replies.live;
    }
    return then(checks.reply(), (reply) => {
      if (reply.status === 200) this.started = true;
      return reply;
    });
  }

  private readinessReply(path: string): Reply {
    if (this.started) return this.readyReply(path);
    return then(this.startupReply(), (reply) => (reply.status === 200 ? this.readyReply(path) : reply));
  }

  private readyReply(path: string): Reply {
    const reasons = this.readiness.reasons;
    if (reasons.length > 0) {
      // Built once per change of the reasons, not per probe.
      if (reasons !== this.notReadyFor || this.notReadyReply === undefined) {
        this.notReadyFor = reasons;
        this.notReadyReply = this.replies.notReady(reasons);
      }
      return this.notReadyReply;
    }
    return this.checksReply(path);
  }

  private checksReply(path: string): Reply {
    return this.checks.get(path)?.reply() ?? this.replies.live;
  }
}

function then(reply: Reply, next: (reply: ProbeReply) => Reply): Reply {
  return reply instanceof Promise ? reply.then(next) : next(reply);
}

async function importTerminus(paths: string[]): Promise<typeof import('@nestjs/terminus')> {
  try {
    return await import('@nestjs/terminus');
  } catch (error) {
    // Only terminus itself missing, not something terminus imports.
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code !== 'ERR_MODULE_NOT_FOUND' || !String(message).includes("'@nestjs/terminus'")) throw error;
    throw new Error(
      `upgate: the probes ${paths.map((p) => `'${p}'`).join(', ')} have health indicators, which run on @nestjs/terminus; install it (npm install @nestjs/terminus) or remove the indicators`,
      { cause: error },
    );
  }
}
