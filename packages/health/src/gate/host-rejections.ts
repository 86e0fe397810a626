import { STATUS_CODES } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { HostDecision, UpgateSettings } from '@upgate/config';
import { escapeRequestText, quoteHostValue } from '@upgate/config/internal';
import type { HealthModuleOptions } from '../health-module-options.interface.js';
import { HEALTH_MODULE_OPTIONS, HEALTH_SETTINGS } from '../health.constants.js';
import type { HostRejectedEvent, HostRejectionRule } from '../observe/health-event.js';
import { HealthEvents } from '../observe/health-events.js';
import { HealthLog } from '../observe/health-log.js';
import { HealthMetrics } from '../observe/health-metrics.js';
import {
  DISALLOWED_HOST_MESSAGE,
  type HostRejection,
  LOGGED_VALUE_MAX_CHARS,
  MALFORMED_HOST_DETAIL,
  ROUTE_DISALLOWED_HOST_MESSAGE,
} from './host-rejection.js';
import type { NodeRequest } from './node-request.js';
import { ProberHints } from './prober-hints.js';
import { RejectionLog } from './rejection-log.js';
import {
  type BuiltResponse,
  builtInResponse,
  checkFunctionResponse,
  type HostRejectionDetails,
  type RejectionResponseFormat,
} from './rejection-response.js';

/**
 * Turns a rejecting decision into everything a rejection is: the response in the app's
 * `rejectionResponse` format, the event (for `HealthEvents` and the metrics), the rate-limited log
 * line, and for a request that looks like a platform's health check, the hint naming the probe
 * path. Shared by both gates and `HostGuard`. Rejections are the slow path: only what the request
 * gets is built for every one of them; the log line only when it is written.
 */
@Injectable()
export class HostRejections {
  private readonly format: RejectionResponseFormat;
  /** The built-in responses without a hint, built once per rule and status. */
  private readonly cached = new Map<string, BuiltResponse>();
  private functionFailed = false;

  constructor(
    @Inject(HEALTH_SETTINGS) private readonly settings: UpgateSettings,
    @Inject(HEALTH_MODULE_OPTIONS) options: HealthModuleOptions,
    private readonly hints: ProberHints,
    private readonly log: RejectionLog,
    private readonly events: HealthEvents,
    private readonly metrics: HealthMetrics,
    private readonly healthLog: HealthLog,
  ) {
    this.format = options.rejectionResponse ?? 'text';
  }

  /**
   * The rejection of `req` (whose path, query included, is `path`), logged, counted and told to
   * listeners. `onRoute`: by `HostGuard`, for a route's `@AllowHosts()` list.
   */
  reject(decision: HostDecision, req: NodeRequest, path: string, onRoute = false): HostRejection {
    const rule: HostRejectionRule =
      decision.kind === 'reject-malformed' ? 'malformed' : onRoute ? 'not-allowed-on-route' : 'not-allowed';
    const status = rule === 'malformed' ? 400 : this.settings.rejectStatus;
    const headers = req.headers;
    const userAgent = headers['user-agent'];
    const peer = req.socket?.remoteAddress;
    const query = path.indexOf('?');
    // A route's list is the app's to choose: a prober is never refused by one.
    const hint = onRoute
      ? undefined
      : this.hints.hint({
          method: req.method ?? '',
          path: query === -1 ? path : path.slice(0, query),
          userAgent,
          peer,
          host: decision.value,
        });
    const event: HostRejectedEvent = {
      type: 'host-rejected',
      status,
      rule,
      source: decision.source ?? 'Host',
      host: quoteHostValue(decision.value ?? '', LOGGED_VALUE_MAX_CHARS),
      reason: decision.reason ?? '',
      fix: hint?.fix ?? decision.fix ?? '',
      method: escapeRequestText(req.method ?? '', 16),
      path: escapeRequestText(path),
      peer,
      userAgent: userAgent === undefined ? undefined : quoteHostValue(userAgent, LOGGED_VALUE_MAX_CHARS),
      prober: hint?.prober,
    };
    const response = this.respond(event, hint?.sentence);
    const rejection: HostRejection = {
      ...response,
      message: `${STATUS_CODES[response.status] ?? 'Error'}: ${messageOf(rule)}${hint === undefined ? '' : ` ${hint.sentence}`}`,
      decision,
      // A function may have chosen another status: the event says what was sent.
      event: response.status === status ? event : { ...event, status: response.status },
      hint,
    };
    this.log.report(rejection);
    this.metrics.hostRejected(rule, rejection.status);
    if (this.events.active) this.events.emit(rejection.event);
    return rejection;
  }

  private respond(event: HostRejectedEvent, hint: string | undefined): BuiltResponse {
    const base = messageOf(event.rule);
    const format = this.format;
    if (typeof format === 'function') return this.fromFunction(format, event, base, hint);
    if (hint !== undefined) return builtInResponse(format, event.status, `${base} ${hint}`);
    const key = `${event.rule} ${event.status}`;
    let response = this.cached.get(key);
    if (response === undefined) {
      response = builtInResponse(format, event.status, base);
      this.cached.set(key, response);
    }
    return response;
  }

  /**
   * The app's function's response; where it throws or returns something the gates cannot send, the
   * text response, and one error line (per process lifetime of the module) saying why.
   */
  private fromFunction(
    format: (details: HostRejectionDetails) => unknown,
    event: HostRejectedEvent,
    message: string,
    hint: string | undefined,
  ): BuiltResponse {
    const text = (): BuiltResponse =>
      builtInResponse('text', event.status, hint === undefined ? message : `${message} ${hint}`);
    let checked: ReturnType<typeof checkFunctionResponse>;
    try {
      const details: HostRejectionDetails = { ...event, title: STATUS_CODES[event.status] ?? 'Error', message, hint };
      checked = checkFunctionResponse(format(Object.freeze(details)), event.status);
    } catch (error) {
      this.functionFailedOnce('threw', error);
      return text();
    }
    if ('problem' in checked) {
      this.functionFailedOnce(checked.problem, undefined);
      return text();
    }
    return checked.response;
  }

  private functionFailedOnce(problem: string, error: unknown): void {
    if (this.functionFailed) return;
    this.functionFailed = true;
    this.healthLog.error(
      `the rejectionResponse function ${problem}; rejections are answered in the 'text' format instead (logged once)`,
      error,
    );
  }
}

/** What a rejection says about its rule (after the status text). */
function messageOf(rule: HostRejectionRule): string {
  if (rule === 'malformed') return MALFORMED_HOST_DETAIL;
  return rule === 'not-allowed' ? DISALLOWED_HOST_MESSAGE : ROUTE_DISALLOWED_HOST_MESSAGE;
}
