import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ConnectionDrain } from './connection-drain.js';
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
      this.begun = this.delayThenDrain();
    }
    return this.begun;
  }

  private async delayThenDrain(): Promise<void> {
    if (this.options.shutdownDelayMs > 0) {
      // Unreferenced: a process whose server is gone already need not wait for it.
      await sleep(this.options.shutdownDelayMs, undefined, { ref: false });
    }
    this.drain.start();
  }
}
