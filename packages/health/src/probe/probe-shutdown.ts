import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import type { ShutdownEvent } from '../observe/health-event.js';
import { HealthEvents } from '../observe/health-events.js';
import { HealthLog } from '../observe/health-log.js';
import { ConnectionDrain } from './connection-drain.js';
import type { OnShutdownBegin } from './on-shutdown-begin.interface.js';
import type { ResolvedProbeOptions } from './probe-options.js';
import { PROBE_OPTIONS } from './probe.tokens.js';

type ClosableAdapter = { beforeClose?: (...args: unknown[]) => unknown };

/**
 * The shutdown as probes see it. From the moment it begins, every probe answers 503; during
 * `shutdownDelayMs` the app keeps serving everything else; then connections drain, and Nest
 * closes the server.
 *
 * It begins at the earliest point Nest offers: the HTTP adapter's `beforeClose()`, which
 * `app.close()` (and a signal under `app.enableShutdownHooks()`) calls before any module's
 * shutdown hook. The module hooks are the fallback where an adapter has no `beforeClose()`: the
 * HealthModule is global, so its own `onModuleDestroy` runs after every other module's, by which
 * time a database module may have closed its pool.
 *
 * The app hears of it through `OnShutdownBegin`: every provider and controller that has an
 * `onShutdownBegin()` method is called when shutdown begins, and the drain waits for them as it
 * waits for the delay.
 */
@Injectable()
export class ProbeShutdown implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  /** Read by every probe; a plain field so that reading it costs nothing. */
  isShuttingDown = false;
  private begun: Promise<void> | undefined;
  private readonly onBegin: (() => void)[] = [];

  constructor(
    @Inject(PROBE_OPTIONS) private readonly options: ResolvedProbeOptions,
    private readonly drain: ConnectionDrain,
    private readonly adapterHost: HttpAdapterHost,
    private readonly discovery: DiscoveryService,
    private readonly log: HealthLog,
    private readonly events: HealthEvents,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as ClosableAdapter | undefined;
    if (adapter === undefined || adapter === null) return;
    const beforeClose = adapter.beforeClose;
    // Ours first: the adapter's own beforeClose makes `return503OnClosing` answer every request
    // 503, which must wait until the delay, during which the app still serves, is over.
    adapter.beforeClose = async (...args: unknown[]) => {
      await this.begin();
      return beforeClose?.apply(adapter, args);
    };
  }

  /** Calls `listener` once, when shutdown begins. */
  whenShuttingDown(listener: () => void): void {
    this.onBegin.push(listener);
  }

  onModuleDestroy(): Promise<void> {
    return this.begin();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.begin();
  }

  private begin(): Promise<void> {
    if (this.begun === undefined) {
      this.isShuttingDown = true;
      for (const listener of this.onBegin.splice(0)) listener();
      this.announce();
      this.begun = this.delayThenDrain(this.callAppHooks());
    }
    return this.begun;
  }

  /** The line operators look for when the probes turn 503 (and the event). */
  private announce(): void {
    const delayMs = this.options.shutdownDelayMs;
    const event: ShutdownEvent = { type: 'shutdown', delayMs };
    this.log.log(
      delayMs > 0
        ? `shutdown began: probes answer 503 from now on; the app serves for ${delayMs} ms more (shutdownDelayMs), then drains its connections`
        : 'shutdown began: probes answer 503 from now on; connections drain now (shutdownDelayMs is 0)',
      event,
    );
    if (this.events.active) this.events.emit(event);
  }

  private async delayThenDrain(appHooks: Promise<void>): Promise<void> {
    if (this.options.shutdownDelayMs > 0) {
      // Unreferenced: a process whose server is gone already need not wait for it.
      await sleep(this.options.shutdownDelayMs, undefined, { ref: false });
    }
    await appHooks;
    this.drain.start();
  }

  /** Every `onShutdownBegin()` of the app's providers and controllers, at once; never rejects. */
  private async callAppHooks(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const seen = new Set<unknown>();
    const calls: Promise<void>[] = [];
    for (const { instance, name } of wrappers) {
      // Request-scoped and not yet created providers have no instance to call.
      if (!hasShutdownBeginHook(instance) || seen.has(instance)) continue;
      seen.add(instance);
      calls.push(
        Promise.resolve()
          .then(() => instance.onShutdownBegin())
          .catch((error: unknown) => {
            this.log.error(`${String(name)}.onShutdownBegin() failed; the shutdown goes on`, error);
          }),
      );
    }
    await Promise.all(calls);
  }
}

function hasShutdownBeginHook(instance: unknown): instance is OnShutdownBegin {
  return (
    typeof instance === 'object' &&
    instance !== null &&
    typeof (instance as Partial<OnShutdownBegin>).onShutdownBegin === 'function'
  );
}
