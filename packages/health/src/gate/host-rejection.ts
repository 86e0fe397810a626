import type { HostDecision } from '@upgate/config';
import type { HostRejectedEvent } from '../observe/health-event.js';
import type { ProberHint } from './prober-hints.js';

/**
 * What a rejected request gets, shared by both gates and `HostGuard` so that all reject the same
 * way (docs/host-rules.md, rule 4). The body names the rule and never contains the request's raw
 * value: it would otherwise reflect attacker-chosen bytes into a response.
 */

/** A rejection, ready to be sent and logged. */
export interface HostRejection {
  readonly status: number;
  /**
   * The response's headers but `Content-Length`, `Cache-Control` and `Connection`, which the gates
   * set themselves: `Content-Type`, and whatever a `rejectionResponse` function returned.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The response body as sent (none for HEAD). */
  readonly body: string | Buffer;
  /**
   * What `HostRejectedException.getResponse()` gives Nest's exception filters: the body as an
   * object for the JSON formats, else the message as a line of text.
   */
  readonly exceptionResponse: string | object;
  /** The rejection in one line of text, whatever the format: `Bad Request: host not allowed (...).` */
  readonly message: string;
  readonly decision: HostDecision;
  /** The fields of the rejection, as logged and as `HealthEvents` listeners get them. */
  readonly event: HostRejectedEvent;
  /** The platform health check the request looks like, and why (the log line names the evidence). */
  readonly hint: ProberHint | undefined;
}

/** Longest part of a rejected value shown in a log line. */
export const LOGGED_VALUE_MAX_CHARS = 100;

/** What is wrong with a missing, duplicated or malformed host value, as a rejection's message says it. */
export const MALFORMED_HOST_DETAIL =
  'missing, repeated or malformed host (a host is name[:port], ipv4[:port] or [ipv6][:port] in ASCII, sent once).';

/** Body of a response to a missing, duplicated or malformed host value (without the newline ending it). */
export const MALFORMED_HOST_MESSAGE = `Bad Request: ${MALFORMED_HOST_DETAIL}`;

/** Body of a response to a well-formed host that is not in the allowed hosts, after the status text. */
export const DISALLOWED_HOST_MESSAGE = "host not allowed (not in this server's allowed hosts).";

/** `HostGuard`'s message for a host that the app allows and a route's `@AllowHosts()` list does not, after the status text. */
export const ROUTE_DISALLOWED_HOST_MESSAGE = "host not allowed (not in this route's allowed hosts).";

/**
 * The warn line of a rejection: where the value came from, the value (escaped, cut to 100
 * characters), the status, the request, the reason, a recognised prober and the fix:
 * `Rejected Host 'evil.com' with 400 (GET /x from 127.0.0.1): well-formed but matches no entry of
 * the allowed hosts; fix: add 'evil.com' to the allowed hosts`. Every part is escaped already (the
 * event's fields are), or comes from the app's own settings and code.
 */
export function formatRejectionLine({ event, hint }: HostRejection): string {
  const where = `${event.method} ${event.path} from ${event.peer ?? 'unknown peer'}`;
  const prober =
    hint === undefined
      ? ''
      : `; this looks like ${hint.prober === 'a platform health check' ? 'a platform' : `${hint.prober}'s`} health check (${hint.evidence}), which a probe path answers whatever its Host`;
  return `Rejected ${event.source} ${event.host} with ${event.status} (${where}): ${event.reason}${prober}; fix: ${event.fix}`;
}
