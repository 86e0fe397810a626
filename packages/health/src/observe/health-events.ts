import { Injectable } from '@nestjs/common';
import type { HealthEvent } from './health-event.js';
import { HealthLog } from './health-log.js';

/** A subscriber of `HealthEvents`. */
export type HealthEventListener = (event: HealthEvent) => void;

/**
 * The module's events, for an app that counts or alerts (host rejections, probe outcomes, probe
 * state changes, readiness, shutdown; see `HealthEvent`). Inject it and subscribe, from a
 * constructor or `onModuleInit`, so that no request is missed:
 *
 * ```ts
 * @Injectable()
 * export class HealthAlerts implements OnModuleDestroy {
 *   private readonly unsubscribe = this.events.subscribe((event) => {
 *     if (event.type === 'probe-state' && event.state !== 'passing') this.pager.send(`${event.path}: ${event.detail}`);
 *   });
 *   constructor(private readonly events: HealthEvents, private readonly pager: Pager) {}
 *   onModuleDestroy() { this.unsubscribe(); }
 * }
 * ```
 *
 * Listeners are called synchronously, on the request's path (a probe's, a rejection's): keep them
 * cheap and hand slow work off (a queue, `setImmediate`). A listener that throws is logged (once
 * per listener) and does not affect the request or the other listeners.
 *
 * An injectable rather than an `onEvent` option: a listener usually needs other providers (a
 * metrics service, a pager), which a provider gets by injection and which `forRoot()`'s options,
 * built before any provider exists, cannot reach; and a provider can unsubscribe with its own
 * lifecycle.
 */
@Injectable()
export class HealthEvents {
  /**
   * Whether anyone listens. A plain field, read on every probe: with no listener an event is not
   * even built.
   */
  active = false;
  private listeners: readonly HealthEventListener[] = [];
  private readonly failed = new WeakSet<HealthEventListener>();

  constructor(private readonly log: HealthLog) {}

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  subscribe(listener: HealthEventListener): () => void {
    if (typeof listener !== 'function') {
      throw new TypeError(`upgate: HealthEvents.subscribe() needs a function (got ${typeof listener})`);
    }
    this.listeners = [...this.listeners, listener];
    this.active = true;
    return () => {
      this.listeners = this.listeners.filter((other) => other !== listener);
      this.active = this.listeners.length > 0;
    };
  }

  /** Hands `event` to every listener. Callers check `active` first, so as not to build events for no one. */
  emit(event: HealthEvent): void {
    // The array is replaced, never changed, on (un)subscribe: a listener that unsubscribes during
    // the loop does not make it skip another.
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        if (this.failed.has(listener)) continue;
        this.failed.add(listener);
        this.log.error(
          `a HealthEvents listener threw on a '${event.type}' event (logged once per listener); the request goes on`,
          error,
        );
      }
    }
  }
}
