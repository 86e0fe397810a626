import { Server as NetServer } from 'node:net';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import { ServerGates } from './server-gates.js';

/** The parts of a NestJS WebSocket adapter (`WsAdapter`, `IoAdapter`, or one of the app's) read here. */
interface WebSocketAdapter {
  create(port: number, options?: unknown): unknown;
  /** `AbstractWsAdapter`: the server gateways on the app's port attach to. */
  httpServer?: unknown;
  /** `WsAdapter` (`@nestjs/platform-ws`): the servers it made for gateways on a port and a path. */
  httpServersRegistry?: { get(port: number): unknown };
  [WATCHED]?: true;
}

const WATCHED = Symbol('upgate.gateway-servers');

/** `@nestjs/websockets` metadata keys (the package is the app's, not a dependency of this one). */
const GATEWAY_METADATA = 'websockets:is_gateway';
const PORT_METADATA = 'port';

/**
 * Gates the HTTP servers that WebSocket adapters create for gateways on their own port
 * (`@WebSocketGateway(8081)`; docs/host-rules.md, rule 6), socket.io's HTTP long-polling requests
 * included, since they are requests on that server.
 *
 * Those servers are made, and start listening, while NestJS registers the gateways in `app.init()`,
 * before any `onModuleInit`, by the adapter's `create(port, options)`, which NestJS calls on the
 * adapter it keeps in its `ApplicationConfig` (set by `app.useWebSocketAdapter()`, or socket.io's
 * `IoAdapter` by default). So from its construction, during `NestFactory.create()`, this watches
 * that adapter's `create` and gates each server as it is made, synchronously: no connection can be
 * accepted before (Node accepts them in a later phase of the event loop).
 *
 * The server is found where each adapter keeps it: socket.io's `Server` in `httpServer` (of its
 * namespace's `server` too), `ws`'s `WebSocketServer` in `_server` when it listens itself,
 * `WsAdapter`'s `httpServersRegistry` for gateways sharing a port by path. Where none is found for a
 * gateway on its own port, the app refuses to start, naming the gateway: its requests would
 * otherwise skip the host check. `onModuleInit` checks that every such gateway's server was seen.
 */
@Injectable()
export class GatewayServers implements OnModuleInit, OnApplicationShutdown {
  private readonly gatedPorts = new Set<number>();
  private readonly restores: (() => void)[] = [];

  constructor(
    config: ApplicationConfig,
    private readonly gates: ServerGates,
    private readonly discovery: DiscoveryService,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const setIoAdapter = config.setIoAdapter;
    config.setIoAdapter = (adapter: never) => {
      this.watch(adapter as WebSocketAdapter | undefined);
      return setIoAdapter.call(config, adapter);
    };
    this.restores.push(() => {
      delete (config as Partial<ApplicationConfig>).setIoAdapter;
    });
    this.watch(config.getIoAdapter() as WebSocketAdapter | undefined);
  }

  onModuleInit(): void {
    // A standalone application has no HTTP adapter and serves no gateway.
    if (this.adapterHost.httpAdapter === undefined || this.adapterHost.httpAdapter === null) return;
    const unseen = this.gatewaysOnOwnPorts().filter(({ port }) => !this.gatedPorts.has(port));
    if (unseen.length > 0) {
      const names = unseen.map(({ name, port }) => `${name} (port ${port})`).join(', ');
      throw new Error(
        `upgate: the WebSocket gateway server of ${names} was not created through the app's WebSocket adapter's create(), where upgate gates it, so its requests would skip the host check; set the adapter with app.useWebSocketAdapter() before app.init(), or serve the gateway on the app's port (@WebSocketGateway() without a port)`,
      );
    }
  }

  onApplicationShutdown(): void {
    for (const restore of this.restores.splice(0).reverse()) restore();
  }

  private watch(adapter: WebSocketAdapter | undefined): void {
    if (adapter === undefined || adapter === null || adapter[WATCHED] || typeof adapter.create !== 'function') return;
    const create = adapter.create;
    const hadOwnCreate = Object.prototype.hasOwnProperty.call(adapter, 'create');
    const gateServerOf = (created: unknown, port: number): void => this.gateServerOf(created, adapter, port);
    adapter.create = function createGated(this: WebSocketAdapter, port: number, options?: unknown): unknown {
      const created = create.call(this, port, options);
      gateServerOf(created, port);
      return created;
    };
    adapter[WATCHED] = true;
    this.restores.push(() => {
      delete adapter[WATCHED];
      if (hadOwnCreate) adapter.create = create;
      else delete (adapter as Partial<WebSocketAdapter>).create;
    });
  }

  private gateServerOf(created: unknown, adapter: WebSocketAdapter, port: number): void {
    const server = findHttpServer(created, adapter, port);
    if (server !== undefined) {
      this.gates.gate(server);
      this.gatedPorts.add(port);
      return;
    }
    // A gateway on the app's port shares the app's server, which the server gate covers.
    if (port === 0) return;
    const names = this.gatewaysOnOwnPorts()
      .filter((gateway) => gateway.port === port)
      .map(({ name }) => name);
    throw new Error(
      `upgate: cannot reach the HTTP server that ${adapter.constructor?.name ?? 'the WebSocket adapter'} created for the WebSocket gateway ${names.join(', ') || '(unknown)'} on port ${port}, so its requests could not be host-checked; serve the gateway on the app's port (@WebSocketGateway() without a port), or use @nestjs/platform-ws or @nestjs/platform-socket.io, whose servers upgate knows how to reach`,
    );
  }

  private gatewaysOnOwnPorts(): { name: string; port: number }[] {
    const gateways: { name: string; port: number }[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null | undefined;
      if (typeof metatype !== 'function' || Reflect.getMetadata(GATEWAY_METADATA, metatype) !== true) continue;
      const port: unknown = Reflect.getMetadata(PORT_METADATA, metatype);
      if (typeof port === 'number' && port !== 0) gateways.push({ name: metatype.name, port });
    }
    return gateways;
  }
}

/** The node server behind what an adapter's `create()` returned, where the known adapters keep it. */
function findHttpServer(created: unknown, adapter: WebSocketAdapter, port: number): NetServer | undefined {
  const candidates: unknown[] = [created];
  if (typeof created === 'object' && created !== null) {
    const io = created as { httpServer?: unknown; server?: { httpServer?: unknown }; _server?: unknown };
    candidates.push(io.httpServer, io.server?.httpServer, io._server);
  }
  candidates.push(adapter.httpServersRegistry?.get?.(port));
  if (port === 0) candidates.push(adapter.httpServer);
  return candidates.find((candidate): candidate is NetServer => candidate instanceof NetServer);
}
