import { STATUS_CODES } from 'node:http';
import type { HostDecision, RejectStatus } from '@upgate/config';
import { quoteHostValue } from '@upgate/config/internal';

/**
 * What a rejected request gets, shared by both gates and `HostGuard` so that all reject the same
 * way (docs/host-rules.md, rule 4). The body names the rule and never contains the request's value:
 * it would otherwise reflect attacker-chosen bytes into a response.
 */

/** A rejection, ready to be sent and logged. */
export interface HostRejection {
  readonly status: number;
  /** Plain text, one line, ending in a newline. */
  readonly body: string;
  readonly decision: HostDecision;
}

/** Longest part of a rejected value shown in a log line. */
export const LOGGED_VALUE_MAX_CHARS = 100;

/** Body of a response to a missing, duplicated or malformed host value. */
export const MALFORMED_HOST_MESSAGE =
  'Bad Request: missing, repeated or malformed host (a host is name[:port], ipv4[:port] or [ipv6][:port] in ASCII, sent once).';

/** Body of a response to a well-formed host that is not in the allowed hosts. */
export const DISALLOWED_HOST_MESSAGE = "host not allowed (not in this server's allowed hosts).";

/** Turns a rejecting decision into its status and body. */
export function toRejection(decision: HostDecision, rejectStatus: RejectStatus): HostRejection {
  if (decision.kind === 'reject-malformed') {
    return { status: 400, body: `${MALFORMED_HOST_MESSAGE}\n`, decision };
  }
  return { status: rejectStatus, body: `${STATUS_CODES[rejectStatus]}: ${DISALLOWED_HOST_MESSAGE}\n`, decision };
}

/**
 * The warn line of a rejection: where the value came from, the value (escaped, cut to 100
 * characters), the status, the request (`where`, escaped by the caller), the reason and the fix:
 * `Rejected Host 'evil.com' with 400 (GET /x from 127.0.0.1): well-formed but matches no entry of
 * the allowed hosts; fix: add 'evil.com' to the allowed hosts`. The matcher builds its reasons and
 * fixes from escaped values only (`quoteHostValue`, `escapeHostChar` of `@upgate/config`) and from
 * names of the app's own code (an `@AllowHosts()` list's owner), so they go in as they are.
 */
export function formatRejectionLine(rejection: HostRejection, where: string): string {
  const { decision, status } = rejection;
  const value = quoteHostValue(decision.value ?? '', LOGGED_VALUE_MAX_CHARS);
  const reason = decision.reason === undefined ? '' : `: ${decision.reason}`;
  const fix = decision.fix === undefined ? '' : `; fix: ${decision.fix}`;
  return `Rejected ${decision.source ?? 'host'} ${value} with ${status} (${where})${reason}${fix}`;
}
