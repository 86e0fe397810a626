/**
 * The host matcher: rules 1-5 of the host rules (docs/host-rules.md in the repository; "spec rule N"
 * below and in this package cites them) in one object, compiled once from the settings. `decide` is
 * the whole contract; `isProbe` is the cheap first check an HTTP layer runs before anything else.
 */
import { compileTrustProxy, trustProxyProblems } from '../proxy/trust-proxy.js';
import type { TrustProxy } from '../settings.js';
import { UpgateConfigError, type ConfigProblem } from '../upgate-config.error.js';
import { type AllowlistEntry, readAllowlistEntry } from './allowlist-entry.js';
import type { HostDecision, HostRequest, HostValueSource } from './host-decision.js';
import { HostAllowlist } from './host-allowlist.js';
import { createParsedHost, equalsIgnoringAsciiCase, formatHost, type ParsedHost, parseHost } from './host-syntax.js';
import { quoteHostValue } from './host-text.js';
import { checkProbePath } from './probe-path.js';

/** What the matcher is compiled from: the three settings it needs, as a user may write them. */
export interface HostMatcherOptions {
  /**
   * Allowlist entries (spec rule 2). Checked and normalised here. An empty list allows nothing:
   * the development default is the settings layer's business.
   */
  readonly allowedHosts: readonly string[];
  /** Paths answered whatever the Host (spec rule 5), compared exactly. @default none */
  readonly probePaths?: readonly string[];
  /** Whether `X-Forwarded-Host` is believed, and from which peers (spec rule 3). @default false */
  readonly trustProxy?: TrustProxy;
  /**
   * How rejections' reason and fix name this list, for a matcher of a narrower list than the app's
   * (`add 'x' to @AllowHosts() on AdminController`). @default 'the allowed hosts'
   */
  readonly listName?: string;
}

/** Checks one host value against an allowlist. */
export interface HostAllowlistMatcher {
  /** The entries, normalised (lower case, punycode, no trailing dot). */
  readonly allowedHosts: readonly string[];
  /**
   * Whether a single host value (`app.example.com:8443`, as a `Host` header or `HostDecision.host`
   * carries it) is valid (rule 1) and allowed (rule 2).
   */
  allowsHost(host: string): boolean;
}

export interface HostMatcher extends HostAllowlistMatcher {
  /** The probe paths, as configured. */
  readonly probePaths: readonly string[];
  /** The decision for one request (spec rules 1-5): `probe`, `allow`, `reject-malformed` or `reject-disallowed`. */
  decide(request: HostRequest): HostDecision;
  /**
   * The host rules alone (1-4), never `probe`: for a caller that has run `isProbe` already (every
   * request pays for the decision, so it is not asked twice), and for requests that are never
   * probes (a WebSocket upgrade, a route behind a guard).
   */
  decideHost(request: HostRequest): HostDecision;
  /**
   * Whether the request is a probe (rule 5): GET or HEAD, and the path before any `?` equals a
   * probe path exactly. Allocation-free; meant to run before any other work on a request.
   */
  isProbe(method: string, path: string): boolean;
}

const PROBE: HostDecision = Object.freeze({ kind: 'probe' });

const MALFORMED_FIX =
  'none in the allowlist: a malformed host is never allowed; if a real client sends it, fix that client or the proxy in front of it';

const HEADER_LIMIT_REASON =
  "header lines reached the server's limit (maxHeadersCount), past which Node drops them unseen: a second Host may be among them";

const HEADER_LIMIT_FIX =
  "none in the allowlist; if a real client sends this many header lines, raise the server's maxHeadersCount (0: no limit)";

const C_QUESTION = 0x3f;

function malformed(value: string, reason: string, source: HostValueSource): HostDecision {
  return { kind: 'reject-malformed', value, reason, fix: MALFORMED_FIX, source };
}

/** The problems of every allowlist entry, named `<setting>[i]`, and the entries that are fine. */
function readEntries(raws: readonly string[], setting: string, problems: ConfigProblem[]): AllowlistEntry[] {
  const entries: AllowlistEntry[] = [];
  raws.forEach((raw, i) => {
    if (typeof raw !== 'string') {
      problems.push({
        setting: `${setting}[${i}]`,
        value: String(raw),
        message: 'is not a string; write a host such as "app.example.com"',
      });
      return;
    }
    const read = readAllowlistEntry(raw);
    if ('entry' in read) entries.push(read.entry);
    else problems.push({ setting: `${setting}[${i}]`, value: JSON.stringify(raw), message: read.message });
  });
  return entries;
}

class CompiledAllowlist implements HostAllowlistMatcher {
  readonly allowedHosts: readonly string[];
  protected readonly scratch: ParsedHost = createParsedHost();

  constructor(
    protected readonly allowlist: HostAllowlist,
    entries: readonly AllowlistEntry[],
  ) {
    this.allowedHosts = Object.freeze(entries.map((entry) => entry.text));
  }

  allowsHost(host: string): boolean {
    return parseHost(host, this.scratch) === undefined && this.allowlist.allows(this.scratch);
  }
}

/**
 * Compiles an allowlist alone, e.g. for a guard that narrows the app-wide list on some routes.
 * @param setting the name used in error messages (`allowedHosts[2]`). @default 'allowedHosts'
 * @throws UpgateConfigError naming every invalid entry.
 */
export function compileHostAllowlist(allowedHosts: readonly string[], setting = 'allowedHosts'): HostAllowlistMatcher {
  const problems: ConfigProblem[] = [];
  const entries = readEntries(allowedHosts, setting, problems);
  if (problems.length > 0) throw new UpgateConfigError(problems);
  return new CompiledAllowlist(new HostAllowlist(entries), entries);
}

/**
 * Compiles the host rules once. Every allowlist entry, probe path and trust-proxy entry is checked
 * first; all problems are thrown together.
 * @throws UpgateConfigError naming every invalid `allowedHosts[i]`, `probePaths[i]` and `trustProxy[i]`.
 */
export function compileHostMatcher(options: HostMatcherOptions): HostMatcher {
  const { allowedHosts, probePaths = [], trustProxy = false, listName = 'the allowed hosts' } = options;
  const problems: ConfigProblem[] = [];
  const entries = readEntries(allowedHosts, 'allowedHosts', problems);
  probePaths.forEach((raw, i) => {
    const message = typeof raw === 'string' ? checkProbePath(raw) : 'is not a string; write a path such as "/up"';
    if (message !== undefined)
      problems.push({ setting: `probePaths[${i}]`, value: JSON.stringify(raw) ?? String(raw), message });
  });
  problems.push(...trustProxyProblems(trustProxy));
  if (problems.length > 0) throw new UpgateConfigError(problems);
  return new CompiledHostMatcher(
    new HostAllowlist(entries),
    entries,
    probePaths,
    compileTrustProxy(trustProxy),
    listName,
  );
}

/** A value to check and where it came from (the slow path: more than one value). */
interface Checked {
  readonly value: string;
  readonly source: HostValueSource;
}

class CompiledHostMatcher extends CompiledAllowlist implements HostMatcher {
  readonly probePaths: readonly string[];
  private readonly probes: string[];

  constructor(
    allowlist: HostAllowlist,
    entries: readonly AllowlistEntry[],
    probePaths: readonly string[],
    private readonly trusts: (peerAddress: string | undefined) => boolean,
    private readonly listName: string,
  ) {
    super(allowlist, entries);
    this.probePaths = Object.freeze([...probePaths]);
    this.probes = [...new Set(probePaths)];
  }

  isProbe(method: string, path: string): boolean {
    if (method !== 'GET' && method !== 'HEAD') return false;
    const probes = this.probes;
    for (let i = 0; i < probes.length; i++) {
      const probe = probes[i] as string;
      const length = probe.length;
      if (path.startsWith(probe) && (path.length === length || path.charCodeAt(length) === C_QUESTION)) return true;
    }
    return false;
  }

  decide(request: HostRequest): HostDecision {
    return this.isProbe(request.method, request.path) ? PROBE : this.decideHost(request);
  }

  decideHost(request: HostRequest): HostDecision {
    const { host, hostHeaders, authority } = request;
    if (hostHeaders !== undefined && hostHeaders.length > 1) {
      return malformed(hostHeaders.join(', '), `Host sent ${hostHeaders.length} times`, 'Host');
    }
    if (request.headerLimitReached === true) {
      return {
        kind: 'reject-malformed',
        value: host ?? '',
        reason: HEADER_LIMIT_REASON,
        fix: HEADER_LIMIT_FIX,
        source: 'Host',
      };
    }
    let primary: string;
    let primarySource: HostValueSource = 'Host';
    if (authority !== undefined && authority !== null) {
      if (host !== undefined && host !== null && !equalsIgnoringAsciiCase(host, authority)) {
        return malformed(
          host,
          `HTTP/2 host ${quoteHostValue(host)} differs from :authority ${quoteHostValue(authority)}`,
          'Host',
        );
      }
      primary = authority;
      primarySource = ':authority';
    } else if (host === undefined || host === null) {
      return malformed('', 'no Host (nor :authority)', 'Host');
    } else primary = host;

    const target = request.requestTarget;
    // Rule 3: believed where upgate's trustProxy or the app's framework believes it from this peer.
    const forwarded =
      request.forwardedHost !== undefined && (request.forwardedHostTrusted === true || this.trusts(request.peerAddress))
        ? request.forwardedHost
        : undefined;
    const hasTarget = target !== undefined && target !== '' && target.charCodeAt(0) !== 0x2f && target !== '*';
    if (!hasTarget && forwarded === undefined) return this.decideOne(primary, primarySource);
    return this.decideMany(primary, primarySource, hasTarget ? target : undefined, request.method, forwarded);
  }

  /** The usual request: one host value, no allocation but the result. */
  private decideOne(value: string, source: HostValueSource): HostDecision {
    const parsed = this.scratch;
    const reason = parseHost(value, parsed);
    if (reason !== undefined) return malformed(value, reason, source);
    if (this.allowlist.allows(parsed)) return { kind: 'allow', host: formatHost(parsed) };
    return this.disallowed(value, parsed, source, false);
  }

  /** A target not in origin form, or a trusted X-Forwarded-Host: every value is checked; malformed wins. */
  private decideMany(
    primary: string,
    primarySource: HostValueSource,
    target: string | undefined,
    method: string,
    forwarded: string | undefined,
  ): HostDecision {
    // The order in which a disallowed value is reported: the client's names first (what the
    // operator most likely wants to list), the Host a proxy may have rewritten last.
    const checked: Checked[] = [];
    if (forwarded !== undefined) {
      for (const entry of splitForwarded(forwarded)) checked.push({ value: entry, source: 'X-Forwarded-Host' });
    }
    if (target !== undefined) {
      // CONNECT names its tunnel's end in authority form (`example.com:443`, RFC 9112 section 3.2.3):
      // the whole target is a host value, checked like the authority of an absolute-form target.
      const authority = method === 'CONNECT' ? target : absoluteFormAuthority(target);
      if (authority === undefined)
        return malformed(target, 'request target in neither origin nor absolute form', 'request target');
      checked.push({ value: authority, source: 'request target' });
    }
    checked.push({ value: primary, source: primarySource });

    const parsed: ParsedHost[] = [];
    // Malformed beats disallowed: Host first, then the target, then the forwarded entries.
    for (let i = checked.length - 1; i >= 0; i--) {
      const { value, source } = checked[i] as Checked;
      const one = createParsedHost();
      const reason = parseHost(value, one);
      if (reason !== undefined) return malformed(value, reason, source);
      parsed[i] = one;
    }
    for (let i = 0; i < checked.length; i++) {
      const one = parsed[i] as ParsedHost;
      if (!this.allowlist.allows(one)) {
        const { value, source } = checked[i] as Checked;
        return this.disallowed(value, one, source, forwarded !== undefined && source === primarySource);
      }
    }
    // For building URLs: the client's host (first forwarded entry) behind a trusted proxy.
    return { kind: 'allow', host: formatHost(parsed[0] as ParsedHost) };
  }

  private disallowed(
    value: string,
    parsed: ParsedHost,
    source: HostValueSource,
    rewrittenByProxy: boolean,
  ): HostDecision {
    const name = parsed.name;
    let fix: string;
    if (rewrittenByProxy) {
      fix =
        `the trusted proxy sent Host '${name}' (an upstream name, as nginx's default 'proxy_set_header Host $proxy_host' does): ` +
        `add '${name}' to ${this.listName}, or have the proxy pass the original Host ('proxy_set_header Host $host')`;
    } else {
      const ports = parsed.port === 0 ? [] : this.allowlist.portsListedFor(parsed);
      fix =
        ports.length > 0
          ? `add '${name}:${parsed.port}' (or '${name}' for any port) to ${this.listName}; it is listed for port ${ports.join(', ')} only`
          : `add '${name}' to ${this.listName}`;
    }
    return {
      kind: 'reject-disallowed',
      value,
      reason: `well-formed but matches no entry of ${this.listName}`,
      fix,
      source,
    };
  }
}

/**
 * The comma-separated entries of `X-Forwarded-Host`, spaces and tabs around commas trimmed. An
 * empty entry stays, as '', so that rule 1 rejects it.
 */
function splitForwarded(value: string): string[] {
  const entries: string[] = [];
  let start = 0;
  for (;;) {
    const comma = value.indexOf(',', start);
    const end = comma < 0 ? value.length : comma;
    let from = start;
    let to = end;
    while (from < to && isOws(value.charCodeAt(from))) from++;
    while (to > from && isOws(value.charCodeAt(to - 1))) to--;
    entries.push(value.slice(from, to));
    if (comma < 0) return entries;
    start = comma + 1;
  }
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** The authority of an absolute-form target (`http://example.com:8080/x` -> `example.com:8080`). */
function absoluteFormAuthority(target: string): string | undefined {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(target);
  if (scheme === null) return undefined;
  const start = scheme[0].length;
  let end = start;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 0x2f || c === C_QUESTION || c === 0x23) break;
    end++;
  }
  return target.slice(start, end);
}
