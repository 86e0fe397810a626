import type { EventEmitter } from 'node:events';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HostGate } from '../gate/host-gate.js';
import { HealthLog } from '../observe/health-log.js';
import { StartupLine } from '../observe/startup-line.js';
import { ProbeChecks } from '../probe/probe-checks.js';
import { watchFastifyExtraBindings } from './fastify-extra-bindings.js';
import { gateServer } from './server-gate.js';

/**
 * The server gate on every HTTP server of the app (docs/host-rules.md, rule 6): the adapter's, each
 * of Fastify's extra `localhost` bindings, the servers WebSocket adapters create for gateways on
 * their own port (`GatewayServers` hands them over), and any server the app makes itself and passes
 * to `gate()`. Ahead of Express or Fastify, it is the fast path: a probe is answered without a
 * framework request object, and the framework gate costs a decided request one property read.
 */
@Injectable()
export class ServerGates implements OnModuleInit, OnApplicationShutdown {
  private readonly ungates: (() => void)[] = [];
  private stopWatchingBindings: (() => void) | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly hostGate: HostGate,
    private readonly log: HealthLog,
    private readonly startupLine: StartupLine,
    private readonly probeChecks: ProbeChecks,
  ) {}

  /**
   * NestJS has created the adapter's HTTP server by the time providers' `onModuleInit` runs (inside
   * `app.init()`, before `listen()`), so gating it here covers `app.listen()` as well as
   * `app.init()` + supertest, and precedes the first request.
   */
  onModuleInit(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer?.() as EventEmitter | undefined;
    if (server === undefined || server === null || typeof server.emit !== 'function') {
      this.log.debug('no HTTP server (a standalone application or a microservice): the host gates are not installed');
      return;
    }
    this.gateServer(server);
    const extraBindings = watchFastifyExtraBindings(this.adapterHost.httpAdapter.getInstance?.(), (extra) =>
      this.gateServer(extra),
    );
    if (extraBindings?.found === false) {
      this.log.warn(
        "cannot see Fastify's extra server bindings (this Fastify version keeps them elsewhere): if the app listens on 'localhost', requests over its second address (::1) are host-checked by the framework gate alone, after Node has answered their 'Expect: 100-continue'; listen on an explicit address such as '0.0.0.0' or '127.0.0.1'",
      );
    }
    this.stopWatchingBindings = extraBindings?.stop;
    this.startupLine.write();
  }

  /**
   * Gates a server the app creates itself around the framework's handler (NestJS's "multiple
   * servers" recipe, `http.createServer(expressApp)`, a Fastify `routing` server) as the adapter's
   * own is gated: its probes answered before the framework, its `Expect: 100-continue`, `upgrade`
   * and `connect` events decided. Its plain requests are host-checked without it too, by the
   * framework gate. Call it before the server listens:
   *
   * ```ts
   * await app.init();
   * const server = https.createServer(options, app.getHttpAdapter().getInstance());
   * app.get(ServerGates).gate(server);
   * server.listen(443);
   * ```
   * Gating a server twice is harmless. The gate comes off when the app shuts down. Its listening
   * ends the app's start-up for the startup and readiness paths, as the adapter's server's would.
   */
  gate(server: EventEmitter): void {
    this.gateServer(server);
    this.probeChecks.watch(server);
  }

  /**
   * Not in `onModuleDestroy`: the servers go on serving after it (during the probes' shutdown delay,
   * and until `dispose()` has closed them), and none of those requests may skip the host check.
   * `onApplicationShutdown` runs once they are closed.
   */
  onApplicationShutdown(): void {
    this.stopWatchingBindings?.();
    this.stopWatchingBindings = undefined;
    for (const ungate of this.ungates.splice(0).reverse()) ungate();
  }

  private gateServer(server: EventEmitter): void {
    this.ungates.push(gateServer(server, this.hostGate));
  }
}
