import type { LoggerService, OnApplicationShutdown } from '@nestjs/common';
import { escapeRequestText } from '@upgate/config/internal';
import { formatRejectionLine, type HostRejection, LOGGED_VALUE_MAX_CHARS } from './host-rejection.js';
import type { NodeRequest } from './node-request.js';

/** Most rejection lines written per window; past it, rejections are only counted. */
export const REJECTION_LOG_LINES_PER_WINDOW = 100;

/** Default of `rejectLogWindowMs`. */
export const DEFAULT_REJECT_LOG_WINDOW_MS = 60_000;

/**
 * The warn lines of host rejections, written so that a flood can fill neither the disk nor the
 * memory (docs/host-rules.md, rule 4): a value is logged at most once per window; at most
 * `REJECTION_LOG_LINES_PER_WINDOW` lines per window; everything else is counted and reported in one
 * summary line when the window ends. Only logged values are remembered, and entries older than a
 * window are dropped when the next one starts, so the memory is bounded by twice the line cap
 * whatever the number of distinct values sent.
 *
 * Shared by both gates and `HostGuard`, so that all three deduplicate together.
 */
export class RejectionLog implements OnApplicationShutdown {
  /** Key of a logged value → when it was logged. */
  private readonly lastLogged = new Map<string, number>();
  private windowStart = Number.NEGATIVE_INFINITY;
  private linesInWindow = 0;
  private suppressed = 0;
  private summaryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: LoggerService,
    readonly windowMs: number = DEFAULT_REJECT_LOG_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Logs the rejection of `req` (whose path, query included, is `path`), unless its value was logged
   * within the window or the window's lines are used up. The line is built only when it is written.
   */
  report(rejection: HostRejection, req: NodeRequest, path: string): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) this.startWindow(now);
    const { kind, value } = rejection.decision;
    const key = `${kind}\u0000${value === undefined ? '' : value.slice(0, LOGGED_VALUE_MAX_CHARS)}`;
    const last = this.lastLogged.get(key);
    if ((last !== undefined && now - last < this.windowMs) || this.linesInWindow >= REJECTION_LOG_LINES_PER_WINDOW) {
      this.suppress(now);
      return;
    }
    this.linesInWindow++;
    this.lastLogged.set(key, now);
    this.logger.warn(formatRejectionLine(rejection, describeRequest(req, path)), 'upgate');
  }

  /** How many values are remembered now (bounded by twice the line cap). */
  get remembered(): number {
    return this.lastLogged.size;
  }

  /** Writes the pending summary line, if any, and stops the timer. */
  close(): void {
    this.flushSummary();
  }

  /** The window ends with the app: its summary is written then at the latest. */
  onApplicationShutdown(): void {
    this.close();
  }

  private suppress(now: number): void {
    this.suppressed++;
    if (this.summaryTimer === undefined) {
      // The summary is due when the window ends, even if no request comes after the flood.
      this.summaryTimer = setTimeout(
        () => this.startWindow(this.now()),
        Math.max(0, this.windowStart + this.windowMs - now),
      );
      this.summaryTimer.unref();
    }
  }

  private startWindow(now: number): void {
    this.flushSummary();
    this.windowStart = now;
    this.linesInWindow = 0;
    for (const [key, at] of this.lastLogged) {
      if (now - at >= this.windowMs) this.lastLogged.delete(key);
    }
  }

  private flushSummary(): void {
    if (this.summaryTimer !== undefined) {
      clearTimeout(this.summaryTimer);
      this.summaryTimer = undefined;
    }
    if (this.suppressed === 0) return;
    const window = formatDuration(this.windowMs);
    const count = this.suppressed === 1 ? '1 more host rejection' : `${this.suppressed} more host rejections`;
    this.suppressed = 0;
    this.logger.warn(
      `${count} suppressed in the last ${window} (a host value is logged once per ${window}, at most ${REJECTION_LOG_LINES_PER_WINDOW} lines per ${window})`,
      'upgate',
    );
  }
}

/** `GET /x from 127.0.0.1`: the request as a log line names it, escaped (the method and path are the client's). */
function describeRequest(req: NodeRequest, path: string): string {
  return `${escapeRequestText(req.method ?? '', 16)} ${escapeRequestText(path)} from ${req.socket?.remoteAddress ?? 'unknown peer'}`;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
