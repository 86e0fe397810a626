import { Injectable } from '@nestjs/common';
import type { ReadinessEvent } from '../observe/health-event.js';
import { HealthEvents } from '../observe/health-events.js';
import { HealthLog } from '../observe/health-log.js';

/**
 * The app's own say in its readiness: mark it not ready for a reason (maintenance, a migration, a
 * cache warming up, a lost connection it is re-establishing), and ready again. While any reason
 * stands, every readiness path answers 503 (with the reasons under `probeDetails: 'full'`), so
 * load balancers and Kubernetes take the instance out of service and a deploy whose prober checks
 * a readiness path waits; liveness and startup paths are not affected.
 *
 * Reasons are independent: marking one ready again leaves the others standing, so two parts of
 * the app need not know of each other.
 *
 * ```ts
 * constructor(private readonly readiness: Readiness) {}
 * startMaintenance() { this.readiness.markNotReady('maintenance'); }
 * endMaintenance() { this.readiness.markReady('maintenance'); }
 * ```
 */
@Injectable()
export class Readiness {
  private standing: readonly string[] = Object.freeze([]);

  constructor(
    private readonly log: HealthLog,
    private readonly events: HealthEvents,
  ) {}

  /** Marks the app not ready for `reason` (a short text; probers see it under `probeDetails: 'full'`). */
  markNotReady(reason: string): void {
    checkReason(reason, 'markNotReady');
    if (this.standing.includes(reason)) return;
    this.standing = Object.freeze([...this.standing, reason]);
    const event: ReadinessEvent = { type: 'readiness', change: 'not-ready', reason, reasons: this.standing };
    this.log.warn(`not ready: ${reason}; readiness paths answer 503`, event);
    if (this.events.active) this.events.emit(event);
  }

  /** Withdraws `reason`; the app is ready again once no reason stands. */
  markReady(reason: string): void {
    checkReason(reason, 'markReady');
    if (!this.standing.includes(reason)) return;
    this.standing = Object.freeze(this.standing.filter((standing) => standing !== reason));
    const event: ReadinessEvent = { type: 'readiness', change: 'ready', reason, reasons: this.standing };
    this.log.log(
      this.standing.length === 0
        ? `ready again (${reason} is over)`
        : `${reason} is over; still not ready: ${this.standing.join(', ')}`,
      event,
    );
    if (this.events.active) this.events.emit(event);
  }

  /** Whether no reason stands (readiness checks and start-up are separate: see the probe paths). */
  get isReady(): boolean {
    return this.standing.length === 0;
  }

  /** The reasons standing, oldest first; a new array whenever they change. */
  get reasons(): readonly string[] {
    return this.standing;
  }
}

function checkReason(reason: unknown, method: string): void {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new TypeError(
      `upgate: Readiness.${method}() needs a reason, a non-empty string such as 'maintenance' (got ${typeof reason === 'string' ? JSON.stringify(reason) : typeof reason})`,
    );
  }
}
