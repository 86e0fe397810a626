/**
 * Spec rule 1: what a valid host value is, and its parts. One pass over the characters, no regular
 * expressions and no allocation except the normalised name (and only when it differs from the input).
 */
import { isIPv6 } from 'node:net';
import { escapeHostChar } from './host-text.js';

export type HostKind = 'name' | 'ipv4' | 'ipv6';

/** A valid host value, split. Mutable so that the matcher can reuse one per call. */
export interface ParsedHost {
  kind: HostKind;
  /**
   * The host without port, normalised: a name or IPv4 lower case without its trailing dot; an IPv6
   * literal lower case with its brackets (`[::1]`), as the exact-entry map keys them.
   */
  name: string;
  /** The port as a number, 0 when none was sent. */
  port: number;
}

export function createParsedHost(): ParsedHost {
  return { kind: 'name', name: '', port: 0 };
}

/** The reasons a value is malformed. The texts are the rule names the spec vectors use. */
export const HostSyntaxReason = {
  empty: 'empty value',
  labels: 'name needs labels of 1-63 of a-z 0-9 - _',
  tooLong: 'name longer than 253',
  port: 'port must be 1-5 digits, 1-65535',
  colons: "more than one ':'",
  portAlone: 'a port without a host',
  unterminated: "unterminated '['",
  notIpv6: 'not an IPv6 address inside brackets',
  afterBracket: "only ':port' may follow ']'",
} as const;

const C_DOT = 0x2e;
const C_COLON = 0x3a;
const C_BRACKET_OPEN = 0x5b;

/**
 * Character classes for the printable ASCII range: 0 = never allowed anywhere in a host value
 * (`@ / \ ? # % ,`), 1 = label character, 2 = other printable (only valid in some positions).
 */
const FORBIDDEN = 0;
const LABEL = 1;
const OTHER = 2;
const CLASS = new Uint8Array(128).fill(OTHER);
for (const c of '@/\\?#%,') CLASS[c.charCodeAt(0)] = FORBIDDEN;
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = LABEL;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c] = LABEL;
for (let c = 0x61; c <= 0x7a; c++) CLASS[c] = LABEL;
CLASS[0x2d] = LABEL; // -
CLASS[0x5f] = LABEL; // _

function notAllowed(value: string, index: number): string {
  return `character '${escapeHostChar(value.codePointAt(index) as number)}' not allowed`;
}

/** Reads `:port` digits from `start` to the end: 1-5 digits, 1-65535; -1 when invalid. */
function readPort(value: string, start: number): number {
  const end = value.length;
  if (start >= end || end - start > 5) return -1;
  let port = 0;
  for (let i = start; i < end; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    port = port * 10 + digit;
  }
  return port >= 1 && port <= 65535 ? port : -1;
}

/**
 * Checks one host value against rule 1 and fills `out` when valid.
 * @returns undefined when valid, otherwise the reason (see `HostSyntaxReason`, or `character 'x' not allowed`).
 */
export function parseHost(value: string, out: ParsedHost): string | undefined {
  const length = value.length;
  if (length === 0) return HostSyntaxReason.empty;
  if (value.charCodeAt(0) === C_BRACKET_OPEN) return parseBracketed(value, out);

  // One pass. The reasons keep an order whatever their position: a character never allowed,
  // then the colons and the port, then the name's first problem from the left.
  let nameEnd = -1; // the first ':', once seen
  let secondColon = false;
  let port = 0;
  let portDigits = 0;
  let portBad = false;
  let nameProblem: string | undefined;
  let hasUpper = false;
  // The current label, and whether the name is a dotted-quad IPv4 as written (no leading zeros, 0-255).
  let labelLength = 0;
  let labels = 1;
  let digitsOnly = true;
  let octet = 0;
  let leadingZero = false;
  let ipv4 = true;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return notAllowed(value, i);
    const kind = CLASS[c];
    if (kind === FORBIDDEN) return notAllowed(value, i);
    if (nameEnd >= 0) {
      if (c === C_COLON) secondColon = true;
      else if (kind === LABEL && c <= 0x39 && c >= 0x30) {
        port = port * 10 + (c - 0x30);
        portDigits++;
      } else portBad = true;
    } else if (c === C_COLON) {
      nameEnd = i;
    } else if (nameProblem !== undefined) {
      // The name is already wrong; only a forbidden character or the port can still say more.
    } else if (c === C_DOT) {
      if (labelLength === 0) nameProblem = HostSyntaxReason.labels;
      if (!digitsOnly || leadingZero || octet > 255) ipv4 = false;
      labels++;
      labelLength = 0;
      digitsOnly = true;
      octet = 0;
      leadingZero = false;
    } else if (kind !== LABEL) {
      nameProblem = notAllowed(value, i);
    } else if (++labelLength > 63) {
      nameProblem = HostSyntaxReason.labels;
    } else if (digitsOnly && c <= 0x39 && c >= 0x30) {
      if (labelLength === 2 && octet === 0) leadingZero = true;
      octet = octet * 10 + (c - 0x30);
    } else {
      digitsOnly = false;
      if (c >= 0x41 && c <= 0x5a) hasUpper = true;
    }
  }

  if (secondColon) return HostSyntaxReason.colons;
  if (nameEnd === 0) return HostSyntaxReason.portAlone;
  if (nameEnd > 0) {
    if (portBad || portDigits === 0 || portDigits > 5 || port < 1 || port > 65535) return HostSyntaxReason.port;
  } else {
    nameEnd = length;
    port = 0;
  }
  if (nameProblem !== undefined) return nameProblem;
  let end = nameEnd;
  if (labelLength === 0) {
    // One trailing dot is the same name (`example.com.`), before a port too (`my_app.:3000`);
    // the label before it was checked when the dot was read.
    end--;
    labels--;
  } else if (!digitsOnly || leadingZero || octet > 255) ipv4 = false;
  if (end > 253) return HostSyntaxReason.tooLong;

  out.kind = ipv4 && labels === 4 ? 'ipv4' : 'name';
  out.port = port;
  if (end === length) out.name = hasUpper ? value.toLowerCase() : value;
  else {
    const name = value.slice(0, end);
    out.name = hasUpper ? name.toLowerCase() : name;
  }
  return undefined;
}

function parseBracketed(value: string, out: ParsedHost): string | undefined {
  let hasUpper = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || CLASS[c] === FORBIDDEN) return notAllowed(value, i);
    if (c >= 0x41 && c <= 0x5a) hasUpper = true;
  }
  const close = value.indexOf(']');
  if (close < 0) return HostSyntaxReason.unterminated;
  const literal = value.slice(1, close);
  // isIPv6 accepts a zone id (`fe80::1%eth0`); '%' was refused above.
  if (!isIPv6(literal)) return HostSyntaxReason.notIpv6;
  let port = 0;
  if (close + 1 < value.length) {
    if (value.charCodeAt(close + 1) !== C_COLON) return HostSyntaxReason.afterBracket;
    port = readPort(value, close + 2);
    if (port < 0) return HostSyntaxReason.port;
  }
  out.kind = 'ipv6';
  out.port = port;
  const name = close + 1 === value.length ? value : value.slice(0, close + 1);
  out.name = hasUpper ? name.toLowerCase() : name;
  return undefined;
}

/** The normalised host (`name[:port]`) for an `allow` decision. */
export function formatHost(parsed: ParsedHost): string {
  return parsed.port === 0 ? parsed.name : `${parsed.name}:${parsed.port}`;
}

/** True when `a` and `b` are equal but for ASCII case (no Unicode case folding: `K` is not `k`). */
export function equalsIgnoringAsciiCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return true;
}
