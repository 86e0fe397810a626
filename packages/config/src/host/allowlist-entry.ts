/**
 * Spec rule 2: one allowlist entry, checked and normalised once at configuration time. Every
 * mistake gets its own message with the form the entry should take; nothing is silently dropped.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { createParsedHost, HostSyntaxReason, parseHost } from './host-syntax.js';
import { escapeHostChar } from './host-text.js';
import { type IpNetwork, parseIpNetwork } from './ip-network.js';

/** A checked entry, as the allowlist compiler uses it. `port` 0 means any port. */
export type AllowlistEntry =
  /** `*`: every valid host. */
  | { readonly kind: 'any'; readonly text: string }
  /** `example.com`, `203.0.113.7`, `[2001:db8::1]` (lower case, brackets kept), with an optional port. */
  | { readonly kind: 'exact'; readonly text: string; readonly host: string; readonly port: number }
  /** `.example.com` (`apex`: the domain itself too) or `*.example.com` (subdomains only). */
  | {
      readonly kind: 'domain';
      readonly text: string;
      readonly domain: string;
      readonly apex: boolean;
      readonly port: number;
    }
  /** `10.0.0.0/8`, `[fd00::]/8`. */
  | { readonly kind: 'network'; readonly text: string; readonly network: IpNetwork };

export interface AllowlistEntryProblem {
  /** The entry as written, quoted: `"https://app.example.com"`. */
  readonly value: string;
  /** What is wrong and the form to write instead. */
  readonly message: string;
}

type Read = { entry: AllowlistEntry } | { message: string };

/**
 * Checks one allowlist entry and returns its normalised text (lower case, one trailing dot removed,
 * Unicode names in punycode, IPv6 lower case, port without leading zeros), or the problem with it.
 *
 * @example parseAllowlistEntry('App.Example.COM.') // { entry: 'app.example.com' }
 * @example parseAllowlistEntry('https://app.example.com/') // { problem: { value: '"https://app.example.com/"', message: 'is a URL; write the host alone: "app.example.com"' } }
 */
export function parseAllowlistEntry(raw: string): { entry: string } | { problem: AllowlistEntryProblem } {
  const read = readAllowlistEntry(raw);
  if ('entry' in read) return { entry: read.entry.text };
  return { problem: { value: JSON.stringify(raw), message: read.message } };
}

/** As `parseAllowlistEntry`, with the entry's parts for the allowlist compiler. */
export function readAllowlistEntry(raw: string): Read {
  if (raw === '') return { message: 'is empty; write a host such as "app.example.com"' };
  const trimmed = raw.trim();
  if (trimmed !== raw) {
    if (trimmed === '') return { message: 'is blank; write a host such as "app.example.com"' };
    const inner = readAllowlistEntry(trimmed);
    return 'entry' in inner ? { message: `has whitespace around it; write "${inner.entry.text}"` } : inner;
  }
  if (raw.includes(',')) {
    const parts = raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    return { message: `contains ","; write one host per entry: ${parts.map((p) => JSON.stringify(p)).join(', ')}` };
  }
  if (/\s/.test(raw)) return { message: 'contains whitespace; write one host per entry, without spaces' };
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return { message: `contains the control character '${escapeHostChar(c)}'` };
  }

  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(raw);
  if (url) {
    const authority = (url[1] as string).slice((url[1] as string).lastIndexOf('@') + 1);
    const inner = authority === '' ? undefined : readAllowlistEntry(authority);
    return inner && 'entry' in inner
      ? { message: `is a URL; write the host alone: "${inner.entry.text}"` }
      : { message: 'is a URL; write the host alone, such as "app.example.com"' };
  }
  if (looksLikeRegExp(raw)) {
    return {
      message: `looks like a regular expression; regular expressions are not supported: write "${regExpDomain(raw)}" for a domain and all its subdomains`,
    };
  }
  if (raw.startsWith('/')) return { message: 'is a path, not a host' };
  const at = raw.lastIndexOf('@');
  if (at >= 0) return withSuggestion(raw.slice(at + 1), `has user info ("${raw.slice(0, at + 1)}")`);
  for (const [char, what] of [
    ['?', 'a query'],
    ['#', 'a fragment'],
  ] as const) {
    const index = raw.indexOf(char);
    if (index >= 0) return withSuggestion(raw.slice(0, index), `has ${what} ("${char}")`);
  }
  const slash = raw.indexOf('/');
  if (slash >= 0) {
    const before = raw.slice(0, slash);
    const unbracketed = before.startsWith('[') && before.endsWith(']') ? before.slice(1, -1) : before;
    if (raw.indexOf('/', slash + 1) < 0 && (isIPv4(before) || isIPv6(unbracketed))) return readNetwork(raw);
    return withSuggestion(before, 'has a path');
  }
  return readHostEntry(raw);
}

/** `message`, followed by the host alone when what is left is a valid entry. */
function withSuggestion(rest: string, message: string): Read {
  const inner = rest === '' ? undefined : readAllowlistEntry(rest);
  return inner && 'entry' in inner
    ? { message: `${message}; write the host alone: "${inner.entry.text}"` }
    : { message: `${message}; write the host alone, such as "app.example.com"` };
}

/** Signs of a regular expression that no valid entry contains. */
function looksLikeRegExp(raw: string): boolean {
  if (/[\^$()|+\\{}]/.test(raw)) return true;
  // `.*` and `.+`, but not `a.*.example.com`: that is a misplaced wildcard, said so below.
  if (/\.[*+](?!\.)/.test(raw)) return true;
  if (raw.length > 2 && raw.startsWith('/') && /\/[a-z]*$/.test(raw.slice(1))) return true;
  // A character class (`app[0-9]`), as opposed to an IPv6 literal in brackets.
  const open = raw.indexOf('[', 1);
  if (open < 0) return false;
  const close = raw.indexOf(']', open);
  return close < 0 ? !isIPv6(raw.slice(open + 1)) : !isIPv6(raw.slice(open + 1, close));
}

/** The domain a regular expression most likely meant (`^(.*\.)?example\.com$` -> `.example.com`). */
function regExpDomain(raw: string): string {
  const unescaped = raw
    .replace(/\\\./g, '.')
    .replace(/\/[a-z]*$/, '')
    .replace(/\$$/, '');
  const tail = /[a-z0-9_-][a-z0-9_.-]*$/i.exec(unescaped)?.[0].replace(/^\.+/, '');
  if (tail && tail.includes('.')) {
    const inner = readHostEntry(tail);
    if ('entry' in inner && inner.entry.kind === 'exact') return `.${inner.entry.text}`;
  }
  return '.example.com';
}

function readNetwork(raw: string): Read {
  const read = parseIpNetwork(raw, true);
  if ('message' in read) return read;
  const { network } = read;
  const text =
    network.family === 'ipv4' ? `${network.address}/${network.prefix}` : `[${network.address}]/${network.prefix}`;
  return { entry: { kind: 'network', text, network } };
}

/** `*`, `*.name[:port]`, `.name[:port]`, `name[:port]`, `ipv4[:port]`, `[ipv6][:port]`. */
function readHostEntry(raw: string): Read {
  if (raw === '*') return { entry: { kind: 'any', text: '*' } };
  if (raw.startsWith('*:')) return { message: '"*" takes no port; "*" alone allows every host on every port' };
  const star = raw.lastIndexOf('*');
  if (star > 1 || (star >= 0 && !raw.startsWith('*.')) || raw.startsWith('*..')) {
    const domain = raw.slice(star + 1).replace(/^\.+/, '');
    const inner = domain === '' ? undefined : readHostEntry(domain);
    const suggestion =
      inner && 'entry' in inner && inner.entry.kind === 'exact' ? `*.${inner.entry.text}` : '*.example.com';
    return {
      message: `has "*" where it is not allowed; "*" stands alone or starts an entry as "*.": write "${suggestion}"`,
    };
  }
  if (raw === '*.') return { message: '"*." needs a domain after it: "*.example.com"' };
  if (raw === '.') return { message: '"." needs a domain after it: ".example.com"' };
  if (raw.startsWith('..')) return { message: `has an empty label (".."); write "${collapseDots(raw)}"` };

  const prefix = raw.startsWith('*.') ? '*.' : raw.startsWith('.') ? '.' : '';
  const read = readHostAndPort(raw.slice(prefix.length));
  if ('message' in read) return read;
  const { host, port, kind } = read;
  const portText = port === 0 ? '' : `:${port}`;
  if (prefix === '') return { entry: { kind: 'exact', text: `${host}${portText}`, host, port } };
  if (kind !== 'name') {
    return { message: `puts "${prefix}" before an IP address, which has no subdomains; write "${host}${portText}"` };
  }
  return { entry: { kind: 'domain', text: `${prefix}${host}${portText}`, domain: host, apex: prefix === '.', port } };
}

function collapseDots(text: string): string {
  const collapsed = text.replace(/\.{2,}/g, '.');
  const inner = readAllowlistEntry(collapsed === '.' ? 'example.com' : collapsed);
  return 'entry' in inner ? inner.entry.text : collapsed;
}

type HostAndPort = { host: string; port: number; kind: 'name' | 'ipv4' | 'ipv6' } | { message: string };

function readHostAndPort(text: string): HostAndPort {
  let hostText = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) {
      const literal = text.slice(1);
      return {
        message: isIPv6(literal)
          ? `has an unterminated "["; write "[${literal.toLowerCase()}]"`
          : 'has an unterminated "["; write an IPv6 address in brackets: "[2001:db8::1]"',
      };
    }
    hostText = text.slice(0, close + 1);
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':'))
        return { message: `has "${after}" after "]"; only ":port" may follow, as in "[2001:db8::1]:8443"` };
      portText = after.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      if (text.indexOf(':', colon + 1) >= 0) {
        return isIPv6(text)
          ? { message: `is an IPv6 address without brackets; write "[${text.toLowerCase()}]"` }
          : { message: 'has more than one ":"; write "name:port", as in "app.example.com:8443"' };
      }
      hostText = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (hostText === '') return { message: 'is a port without a host; write "app.example.com:8443"' };
    }
  }

  let port = 0;
  if (portText !== undefined) {
    if (portText === '') {
      return { message: `has an empty port after ":"; write "${hostText}" for any port or "${hostText}:8443" for one` };
    }
    port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : -1;
    if (port < 1 || port > 65535) {
      return {
        message: `has port ${/^[0-9]+$/.test(portText) ? portText : JSON.stringify(portText)}; a port is 1-65535`,
      };
    }
  }

  if (hostText.startsWith('[')) {
    const literal = hostText.slice(1, -1);
    const zone = literal.indexOf('%');
    if (zone >= 0 && isIPv6(literal.slice(0, zone))) {
      return {
        message: `has a zone id ("${literal.slice(zone)}"); a Host never carries one: write "[${literal.slice(0, zone).toLowerCase()}]"`,
      };
    }
    if (!isIPv6(literal)) {
      return {
        message: `has brackets around "${literal}", which is not an IPv6 address; brackets are for IPv6 only: "[2001:db8::1]"`,
      };
    }
    return { host: hostText.toLowerCase(), port, kind: 'ipv6' };
  }
  return readName(hostText, port);
}

function readName(written: string, port: number): HostAndPort {
  let name = written;
  // Unicode names are matched in their punycode form, which is what a client sends.
  if (/[^\x20-\x7e]/.test(name)) {
    const ascii = domainToASCII(name.toLowerCase());
    if (ascii === '') return { message: 'is not a valid international domain name' };
    name = ascii;
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.includes('..') || name.startsWith('.') || name.endsWith('.')) {
    return { message: `has an empty label (".."); write "${collapseDots(written)}"` };
  }
  const parsed = createParsedHost();
  const reason = parseHost(name, parsed);
  if (reason !== undefined) {
    if (reason === HostSyntaxReason.tooLong)
      return { message: 'is longer than 253 characters, the most a host name can have' };
    if (reason === HostSyntaxReason.labels)
      return { message: 'has a label longer than 63 characters, the most a label can have' };
    const char = /^character '(.*)' not allowed$/.exec(reason);
    if (char) {
      return { message: `has the character '${char[1]}'; a host name is letters, digits, "-" and "_" between dots` };
    }
    return { message: `is not a host name (${reason})` };
  }
  if (parsed.kind === 'name' && /^[0-9.]+$/.test(parsed.name)) {
    const octets = parsed.name.split('.');
    const fixed = octets.map((o) => String(Number(o)));
    const suggestion =
      octets.length === 4 && fixed.every((o) => Number(o) <= 255) && isIPv4(fixed.join('.'))
        ? `"${fixed.join('.')}"`
        : 'one such as "10.0.0.1"';
    return {
      message: `is not an IPv4 address as a Host carries it; write four octets 0-255 without leading zeros: ${suggestion}`,
    };
  }
  return { host: parsed.name, port, kind: parsed.kind };
}
