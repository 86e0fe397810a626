import { STATUS_CODES } from 'node:http';
import type { HostDecision, RejectStatus } from '@upgate/config';
import { quoteHostValue } from '@upgate/config/internal';

/**
 * What a rejected request gets, shared by the early request layer and `HostGuard` so that both
 * reject the same way (spec rule 4). The body names the rule and never contains the request's value:
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
 * Request text (a method, a path) as it may appear in a log line: cut to `max` characters, then every
 * character outside printable ASCII, and the backslash, escaped, so that no request can split,
 * colour or forge a log line: a CR LF shows as the four characters `\r\n`.
 */
export function escapeForLog(value: string, max = LOGGED_VALUE_MAX_CHARS): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  let out = '';
  for (let i = 0; i < cut.length; i++) {
    const code = cut.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f && code !== 0x5c) out += cut[i];
    else out += escapeHostChar(code);
  }
  return value.length > max ? `${out}...` : out;
}

/**
 * The matcher's reasons and fixes quote request values already escaped (`quoteHostValue`); this only
 * guarantees, should one ever carry a raw control character, that it cannot break the line.
 */
function controlsEscaped(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += code >= 0x20 && code < 0x7f ? text[i] : escapeHostChar(code);
  }
  return out;
}

/**
 * The warn line of a rejection: where the value came from, the value (escaped, cut to 100
 * characters), the status, the request, the reason and the fix:
 * `Rejected Host 'evil.com' with 400 (GET /x from 127.0.0.1): well-formed but matches no entry of
 * the allowed hosts; fix: add 'evil.com' to the allowed hosts`.
 */
export function formatRejectionLine(rejection: HostRejection, where: string): string {
  const { decision, status } = rejection;
  const value = quoteHostValue(decision.value ?? '', LOGGED_VALUE_MAX_CHARS);
  const reason = decision.reason === undefined ? '' : `: ${controlsEscaped(decision.reason)}`;
  const fix = decision.fix === undefined ? '' : `; fix: ${controlsEscaped(decision.fix)}`;
  return `Rejected ${decision.source ?? 'host'} ${value} with ${status} (${where})${reason}${fix}`;
}

/** One character escaped as `quoteHostValue` of `@upgate/config` does: `\t`, `\x00`, `\u212a`, `\\`. */
function escapeHostChar(code: number): string {
  if (code === 0x5c) return '\\\\';
  if (code === 0x09) return '\\t';
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
