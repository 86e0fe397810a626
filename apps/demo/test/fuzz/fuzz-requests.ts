/**
 * The generated requests of the fuzz: raw HTTP/1.x bytes, as an attacker or a confused client
 * would send them, each with the outcome the host rules (shared/spec/host-rules.md) call for.
 *
 * Every request carries `X-Fuzz-Id: <id>`, which the app-side counter records, so that the test can
 * tell, request by request, whether app code saw it.
 */
import { SeededRandom } from './seeded-random.js';

/** What must become of a request. */
export type Expectation =
  /** An allowed host on a path that is not a probe: it reaches the app (whatever the app answers, never 5xx). */
  | 'app'
  /** GET or HEAD on an exact probe path (query allowed), whatever the host: answered by the layer, never by the app. */
  | 'probe'
  /** A host value rules 1-4 reject: answered before any app code, by the layer or by Node's HTTP parser. */
  | 'rejected'
  /** Framing edge cases whose outcome is Node's parser's to decide: no 5xx, and app code sees it only if the layer allowed it. */
  | 'any';

export interface FuzzRequest {
  readonly id: number;
  /** The generator's category, for the summary table. */
  readonly category: string;
  readonly bytes: Buffer;
  readonly method: string;
  readonly expect: Expectation;
  /** The answer keeps the connection open, so the request may be pipelined behind others. */
  readonly pipelinable: boolean;
  /** Larger than Node's header limit: the server may answer 431 and close before reading it all. */
  readonly oversized: boolean;
  /** A password-reset request: the host name its reset URL must carry (the checked host, never another). */
  readonly resetHost?: string;
}

export interface FuzzTarget {
  /** The allowlist as the deploy file gives it: exact host names (e.g. demo.example.com). */
  readonly allowedHosts: readonly string[];
  /** The probe paths the app answers (liveness and readiness). */
  readonly probePaths: readonly string[];
  /** The port the app listens on, which clients put in Host. */
  readonly port: number;
}

/** Node's default limit on the size of a request's headers (--max-http-header-size). */
export const NODE_MAX_HEADER_BYTES = 16 * 1024;

type HostExpect = 'allow' | 'reject' | 'any';

/** The host-bearing lines of a request (Host, X-Forwarded-Host), and what the host rules make of them. */
interface HostChoice {
  readonly category: string;
  /** Header lines, as latin1 strings whose char codes are the bytes sent. */
  readonly lines: readonly string[];
  readonly expect: HostExpect;
  /** Contains bytes Node's parser refuses outright (a probe path does not save it). */
  readonly parserBreaking?: boolean;
  /** For an allowed host: its name as the app should see it (lower case, no trailing dot, no port). */
  readonly name?: string;
}

const LABEL_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Characters a host name may not look like, although it looks like it: Cyrillic, Greek, fullwidth, dot look-alikes. */
const LOOK_ALIKES: Readonly<Record<string, readonly string[]>> = {
  a: ['\u0430', '\u0251', '\uff41'],
  e: ['\u0435', '\u0454', '\uff45'],
  o: ['\u043e', '\u03bf', '\u0585', '\uff4f'],
  c: ['\u0441', '\u03f2', '\uff43'],
  m: ['\u217f', '\uff4d'],
  d: ['\u0501', '\u217e', '\uff44'],
  i: ['\u0456', '\u2170', '\uff49'],
  n: ['\u0578', '\uff4e'],
  p: ['\u0440', '\uff50'],
  l: ['\u217c', '\u04cf', '\uff4c'],
  x: ['\u0445', '\u2179'],
  k: ['\u212a', '\u043a'],
  '.': ['\u2024', '\u3002', '\uff0e', '\u00b7', '\u0589'],
};

/** Bytes that make a Host invalid wherever they are (control characters, DEL, non-ASCII), not counting CR and LF. */
function invalidByte(r: SeededRandom): number {
  return r.weighted<number>([
    [3, r.int(0x00, 0x08)],
    [1, r.pick([0x0b, 0x0c])],
    [3, r.int(0x0e, 0x1f)],
    [1, 0x7f],
    [4, r.int(0x80, 0xff)],
  ]);
}

/** UTF-8 text as the latin1 string of its bytes. */
function utf8Bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function randomCase(r: SeededRandom, text: string): string {
  let out = '';
  for (const char of text) out += r.chance(0.3) ? char.toUpperCase() : char;
  return out;
}

function randomName(r: SeededRandom): string {
  const labels = r.int(1, 4);
  const parts: string[] = [];
  for (let i = 0; i < labels; i++) parts.push(r.string(ALNUM, 1) + r.string(LABEL_CHARS, r.int(0, 12)));
  parts.push(r.pick(['com', 'net', 'org', 'io', 'example', 'internal', 'localhost', 'local']));
  return parts.join('.');
}

/** The two kinds of requests the grammar is about. */
export class FuzzRequestGenerator {
  private readonly r: SeededRandom;
  private readonly hosts: readonly string[];

  constructor(
    seed: number,
    private readonly target: FuzzTarget,
  ) {
    this.r = new SeededRandom(seed);
    this.hosts = target.allowedHosts.map((host) => host.toLowerCase());
    if (this.hosts.length === 0 || this.hosts.some((host) => !/^[a-z0-9.-]+$/.test(host))) {
      throw new Error(`the fuzz needs exact host names in the allowlist, got ${JSON.stringify(target.allowedHosts)}`);
    }
  }

  /** Request `id`, drawn from the weighted mix of categories. */
  request(id: number): FuzzRequest {
    const r = this.r;
    const kind = r.weighted<() => FuzzRequest>([
      [22, () => this.appRequest(id)],
      [18, () => this.probeRequest(id)],
      [12, () => this.probeLookAlike(id)],
      [36, () => this.hostileRequest(id)],
      [6, () => this.forwardedChain(id)],
      [6, () => this.absoluteForm(id)],
    ]);
    return kind();
  }

  // ---- hosts ----

  private allowedHost(): HostChoice {
    const r = this.r;
    const name = r.pick(this.hosts);
    let value = randomCase(r, name);
    if (r.chance(0.15)) value += '.';
    if (r.chance(0.35))
      value += `:${r.weighted<string | number>([
        [4, this.target.port],
        [2, r.int(1, 65535)],
        [1, `0${r.int(1, 9999)}`],
        [1, 443],
      ])}`;
    return { category: 'allowed host', lines: [`Host: ${value}`], expect: 'allow', name };
  }

  private disallowedName(): HostChoice {
    const r = this.r;
    const allowed = r.pick(this.hosts);
    const value = r.weighted<() => string>([
      [6, () => randomName(r)],
      [1, () => `x${allowed}`],
      [1, () => `${allowed}x`],
      [1, () => `${allowed}.${randomName(r)}`],
      [1, () => `${r.string(ALNUM, r.int(1, 8))}.${allowed}`],
      [1, () => allowed.replace(/\./g, '-')],
      [1, () => allowed.split('.').slice(-2).join('.')],
      [1, () => `xn--${r.string(ALNUM, r.int(3, 12))}.${allowed.slice(allowed.indexOf('.') + 1)}`],
      [1, () => `${randomName(r)}:${r.int(1, 65535)}`],
      [1, () => 'localhost'],
    ])();
    // Some of these are built from allowed hosts: make sure none comes out allowed.
    const name = value.replace(/:\d+$/, '').replace(/\.$/, '');
    return {
      category: 'disallowed name',
      lines: [`Host: ${this.hosts.includes(name) ? `not-${value}` : value}`],
      expect: 'reject',
    };
  }

  private ipLiteral(): HostChoice {
    const r = this.r;
    const value = r.pick([
      '127.0.0.1',
      `127.0.0.1:${this.target.port}`,
      '[::1]',
      `[::1]:${this.target.port}`,
      '10.0.0.1',
      `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
      '127.1',
      '0x7f.0.0.1',
      '2130706433',
      '010.0.0.1',
      '256.0.0.1',
      '1.2.3.4.5',
      '[1::2::3]',
      '[fe80::1%eth0]',
      '[fe80::1%25eth0]',
      '[::ffff:127.0.0.1]',
      '[2001:DB8::1]:443',
      '[::1',
      '::1',
      '[]',
    ]);
    return { category: 'IP literal', lines: [`Host: ${value}`], expect: 'reject' };
  }

  private grammarEdge(): HostChoice {
    const r = this.r;
    const h = r.pick(this.hosts);
    const value = r.pick([
      '',
      ' ',
      ':80',
      ':',
      `${h}:`,
      `${h}::80`,
      `${h}:80:80`,
      `${h}:http`,
      `${h}:0`,
      `${h}:65536`,
      `${h}:99999`,
      `${h}:-1`,
      `${h}:+80`,
      `${h}: 80`,
      `${h}..`,
      `.${h}`,
      h.replace('.', '..'),
      `[${h}]`,
      `user@${h}`,
      `${h}@evil.example`,
      `${h}/`,
      `${h}/x`,
      `${h}\\x`,
      `${h}?`,
      `${h}#`,
      `${h}%2e`,
      `${h}%00`,
      `${h},evil.example`,
      `${h}, ${h}`,
      `${h},`,
      '*',
      `*.${h}`,
      `${h}*`,
      `${h.replace(/^[^.]+/, 'a'.repeat(64))}`,
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
      `${h}.${'x'.repeat(250 - h.length)}`,
      `-${h}`,
      `"${h}"`,
      `'${h}'`,
      `<${h}>`,
      `${h};`,
      `${h}=`,
      `http://${h}`,
    ]);
    return { category: 'grammar edge', lines: [`Host: ${value}`], expect: 'reject' };
  }

  private controlBytes(): HostChoice {
    const r = this.r;
    const h = r.pick(this.hosts);
    const at = r.int(0, h.length);
    // A tab at either end is optional whitespace that the parser trims; inside the value it is invalid.
    const byte = r.chance(0.1) ? 0x09 : invalidByte(r);
    const position = byte === 0x09 ? r.int(1, h.length - 1) : at;
    const value = h.slice(0, position) + String.fromCharCode(byte) + h.slice(position);
    const parserBreaking = byte < 0x20 && byte !== 0x09 ? true : byte === 0x7f;
    return { category: 'control byte', lines: [`Host: ${value}`], expect: 'reject', parserBreaking };
  }

  private veryLong(): HostChoice {
    const r = this.r;
    const h = r.pick(this.hosts);
    const length = r.weighted<number>([
      [4, r.int(64, 400)],
      [3, r.int(400, 8000)],
      [1, r.int(NODE_MAX_HEADER_BYTES + 1, 24_000)],
    ]);
    const value = r.weighted<() => string>([
      [1, () => 'a'.repeat(length)],
      [1, () => `${'a'.repeat(length)}.${h}`],
      [1, () => `${h}:${'9'.repeat(Math.min(length, 2000))}`],
      [
        1,
        () => {
          const labels: string[] = [];
          while (labels.join('.').length < length) labels.push(r.string(ALNUM, r.int(1, 63)));
          return labels.join('.');
        },
      ],
    ])();
    return { category: 'very long', lines: [`Host: ${value}`], expect: 'reject' };
  }

  private lookAlike(): HostChoice {
    const r = this.r;
    const h = r.pick(this.hosts);
    const positions = [...h].map((char, index) => (LOOK_ALIKES[char] ? index : -1)).filter((index) => index >= 0);
    const chars = [...h];
    const swaps = r.int(1, 2);
    for (let i = 0; i < swaps; i++) {
      const at = r.pick(positions);
      const alikes = LOOK_ALIKES[h[at] as string] as readonly string[];
      chars[at] = r.pick(alikes);
    }
    let value = chars.join('');
    if (r.chance(0.2)) value = value.toUpperCase();
    if (r.chance(0.1)) value = `\ufeff${value}`;
    return { category: 'Unicode look-alike', lines: [`Host: ${utf8Bytes(value)}`], expect: 'reject' };
  }

  private duplicateHost(): HostChoice {
    const r = this.r;
    const a = r.pick(this.hosts);
    const b = r.pick([a, r.pick(this.hosts), randomName(r), '']);
    const name = r.pick(['Host', 'host', 'HOST', 'hOsT']);
    const lines = r.chance(0.5) ? [`Host: ${a}`, `${name}: ${b}`] : [`${name}: ${b}`, `Host: ${a}`];
    if (r.chance(0.15)) lines.push(`Host: ${a}`);
    return { category: 'duplicate Host', lines, expect: 'reject' };
  }

  private missingHost(): HostChoice {
    return { category: 'missing Host', lines: [], expect: 'reject' };
  }

  /** Any host value of the hostile kinds, for a probe (which must pass anyway) or a hostile request. */
  private hostileHost(): HostChoice {
    return this.r.weighted<() => HostChoice>([
      [8, () => this.disallowedName()],
      [4, () => this.ipLiteral()],
      [8, () => this.grammarEdge()],
      [5, () => this.controlBytes()],
      [3, () => this.veryLong()],
      [5, () => this.lookAlike()],
      [4, () => this.duplicateHost()],
      [2, () => this.missingHost()],
    ])();
  }

  // ---- request kinds ----

  /** Ordinary traffic for an allowed host: the JSON API, the admin API, a password reset. */
  private appRequest(id: number): FuzzRequest {
    const r = this.r;
    const host = this.allowedHost();
    const shape = r.weighted<
      () => { method: string; path: string; body?: string; headers?: string[]; reset?: boolean }
    >([
      [
        10,
        () => ({
          method: 'GET',
          path: r.pick([
            '/api/items',
            '/api/items/1',
            '/api/items/2',
            `/api/items/${r.int(4, 100000)}`,
            '/api/items/abc',
            '/',
            '/nope',
            '/admin/stats',
            '/api/items?sort=name',
          ]),
        }),
      ],
      [2, () => ({ method: 'HEAD', path: r.pick(['/api/items', '/api/items/3', '/admin/stats', '/missing']) })],
      [1, () => ({ method: 'OPTIONS', path: '/api/items' })],
      [1, () => ({ method: 'DELETE', path: `/api/items/${r.int(100000, 200000)}` })],
      [1, () => ({ method: 'PUT', path: '/api/items/1', body: '{}', headers: ['Content-Type: application/json'] })],
      [
        1,
        () => ({
          method: 'POST',
          path: '/api/items',
          body: r.pick(['{', '{"name":', '[]', 'null', '{"name":"","priceCents":-1}']),
          headers: ['Content-Type: application/json'],
        }),
      ],
      [
        2,
        () => ({
          method: 'POST',
          path: '/api/password-resets',
          body: `{"email":"user${r.int(1, 999)}@example.com"}`,
          headers: ['Content-Type: application/json'],
          reset: true,
        }),
      ],
      [
        1,
        () => ({
          method: 'POST',
          path: '/api/password-resets',
          body: '{"email":"expect@example.com"}',
          headers: ['Content-Type: application/json', 'Expect: 100-continue'],
          reset: true,
        }),
      ],
    ])();
    const bytes = serialize(shape.method, shape.path, '1.1', [...host.lines, ...(shape.headers ?? [])], id, shape.body);
    // Node writes "100 Continue" as soon as it parses such a request, ahead of the answers still
    // owed to earlier pipelined requests: clients do not pipeline these, nor does the fuzz.
    const expectsContinue = shape.headers?.includes('Expect: 100-continue') ?? false;
    const request: FuzzRequest = {
      id,
      category: 'app traffic',
      bytes,
      method: shape.method,
      expect: 'app',
      pipelinable: !expectsContinue,
      oversized: false,
      ...(shape.reset && host.name ? { resetHost: host.name } : {}),
    };
    return request;
  }

  /** A probe, as kamal-proxy, Kubernetes, a load balancer or Docker sends it, with any host value at all. */
  private probeRequest(id: number): FuzzRequest {
    const r = this.r;
    let host = r.chance(0.3) ? this.allowedHost() : this.hostileHost();
    // A probe with bytes Node's parser refuses never reaches the layer; those are the hostile kind's.
    while (host.parserBreaking) host = this.hostileHost();
    const path =
      r.pick(this.target.probePaths) +
      r.weighted<string>([
        [6, ''],
        [1, '?'],
        [1, '?verbose=1'],
        [1, `?t=${r.int(0, 1e9)}`],
      ]);
    const method = r.chance(0.8) ? 'GET' : 'HEAD';
    const agent = r.pick([
      'kamal-proxy',
      'kube-probe/1.31',
      'ELB-HealthChecker/2.0',
      'curl/8.5.0',
      'Consul Health Check',
    ]);
    const version = host.lines.length === 0 && r.chance(0.5) ? '1.0' : '1.1';
    const oversized = host.lines.join('').length > NODE_MAX_HEADER_BYTES - 512;
    const bytes = serialize(method, path, version, [...host.lines, `User-Agent: ${agent}`], id);
    return {
      id,
      category: `probe (${host.category})`,
      bytes,
      method,
      expect: oversized ? 'rejected' : 'probe',
      pipelinable: version === '1.1' && !oversized,
      oversized,
    };
  }

  /** A path that looks like a probe path but is not one: no normalisation may turn it into one. */
  private probeLookAlike(id: number): FuzzRequest {
    const r = this.r;
    const probe = r.pick(this.target.probePaths);
    const mutate = r.pick<(p: string) => string>([
      (p) => `${p}/`,
      (p) => p.toUpperCase(),
      (p) => `/${p}`,
      (p) => `${p};x`,
      (p) => `${p};`,
      (p) => `/%${p.charCodeAt(1).toString(16)}${p.slice(2)}`,
      (p) => `${p}/../admin/stats`,
      (p) => `/.${p}`,
      (p) => `${p}/.`,
      (p) => `${p}%2F`,
      (p) => `${p}%00`,
      (p) => `${p}%3F`,
      (p) => `${p}.`,
      (p) => `${p}#x`,
      (p) => `${p}z`,
      (p) => p.slice(0, -1),
      (p) => `/api${p}`,
      (p) => p.replace('/', '/./'),
      (p) => `${p}\\`,
      (p) => `${p.slice(0, 1)}${p.slice(1, 2).toUpperCase()}${p.slice(2)}`,
      (p) => `${p}%20`,
      (p) => `${p}..`,
    ]);
    const path = mutate(probe);
    const method = r.weighted<string>([
      [6, 'GET'],
      [2, 'HEAD'],
      [1, 'POST'],
      [1, 'OPTIONS'],
      [1, 'PUT'],
    ]);
    const host = r.chance(0.35) ? this.allowedHost() : this.hostileHost();
    return this.finish(id, 'probe look-alike path', method, path, '1.1', host, undefined);
  }

  /** Hostile host values on ordinary paths and methods. */
  private hostileRequest(id: number): FuzzRequest {
    const r = this.r;
    if (r.chance(0.08)) return this.framingEdge(id);
    const host = this.hostileHost();
    const method = r.weighted<string>([
      [8, 'GET'],
      [1, 'HEAD'],
      [1, 'POST'],
      [1, 'DELETE'],
    ]);
    const path = r.pick([
      '/api/items',
      '/api/items/1',
      '/admin/stats',
      '/',
      '/api/password-resets',
      `/${r.string(ALNUM, r.int(1, 20))}`,
    ]);
    const version = host.lines.length === 0 && r.chance(0.5) ? '1.0' : '1.1';
    const body = method === 'POST' ? '{"email":"victim@example.com"}' : undefined;
    return this.finish(
      id,
      host.category,
      method,
      path,
      version,
      host,
      body,
      body ? ['Content-Type: application/json'] : [],
    );
  }

  /** X-Forwarded-Host chains (the demo runs with TRUST_PROXY=loopback, so they are checked). */
  private forwardedChain(id: number): FuzzRequest {
    const r = this.r;
    const host = this.allowedHost();
    const allowed = (): string => randomCase(r, r.pick(this.hosts)) + (r.chance(0.2) ? `:${this.target.port}` : '');
    const kind = r.weighted<() => { lines: string[]; expect: HostExpect }>([
      [3, () => ({ lines: [`X-Forwarded-Host: ${allowed()}`], expect: 'allow' })],
      [
        2,
        () => ({
          lines: [
            `X-Forwarded-Host: ${Array.from({ length: r.int(2, 6) }, allowed).join(r.pick([',', ', ', ' ,\t', '\t,']))}`,
          ],
          expect: 'allow',
        }),
      ],
      [1, () => ({ lines: [`X-Forwarded-Host: ${allowed()}`, `X-Forwarded-Host: ${allowed()}`], expect: 'allow' })],
      [1, () => ({ lines: [`X-Forwarded-Host: ${Array.from({ length: 100 }, allowed).join(',')}`], expect: 'allow' })],
      [
        3,
        () => ({
          lines: [
            `X-Forwarded-Host: ${r.chance(0.5) ? `${allowed()}, ${randomName(r)}` : `${randomName(r)}, ${allowed()}`}`,
          ],
          expect: 'reject',
        }),
      ],
      [
        1,
        () => ({ lines: [`X-Forwarded-Host: ${allowed()}`, `X-Forwarded-Host: ${randomName(r)}`], expect: 'reject' }),
      ],
      [
        1,
        () => ({
          lines: [
            `X-Forwarded-Host: ${r.pick([',', ', ', `${allowed()},`, `,${allowed()}`, `${allowed()},,${allowed()}`, ' '])}`,
          ],
          expect: 'reject',
        }),
      ],
      [
        1,
        () => ({
          lines: [
            `X-Forwarded-Host: ${allowed()}, ${r.pick(['127.1', '[1::2::3]', 'a..b', `${allowed()}:0`, 'user@x.com', utf8Bytes('d\u0435mo.example.com')])}`,
          ],
          expect: 'reject',
        }),
      ],
      [
        1,
        () => ({
          lines: [`X-Forwarded-Host: ${Array.from({ length: r.int(10, 60) }, allowed).join(',')},${randomName(r)}`],
          expect: 'reject',
        }),
      ],
    ])();
    // Both Host and every X-Forwarded-Host entry are checked: a disallowed Host fails whatever the chain says.
    const badHost = r.chance(0.15);
    const hostLines = badHost ? [`Host: ${randomName(r)}`] : host.lines;
    const choice: HostChoice = {
      category: 'X-Forwarded-Host chain',
      lines: [...hostLines, ...kind.lines],
      expect: badHost ? 'reject' : kind.expect,
      ...(host.name ? { name: host.name } : {}),
    };
    const path = r.pick(['/api/items', '/api/items/2', '/admin/stats', '/nope']);
    return this.finish(id, choice.category, r.chance(0.85) ? 'GET' : 'HEAD', path, '1.1', choice, undefined);
  }

  /** Absolute-form request targets: their authority is checked as well as Host (spec rule 3). */
  private absoluteForm(id: number): FuzzRequest {
    const r = this.r;
    const allowed = r.pick(this.hosts);
    const hostLine = `Host: ${allowed}`;
    const kind = r.weighted<() => { target: string; lines: string[]; expect: HostExpect }>([
      [3, () => ({ target: `http://${randomCase(r, allowed)}/api/items`, lines: [hostLine], expect: 'allow' })],
      [1, () => ({ target: `https://${allowed}:${this.target.port}/api/items/1`, lines: [hostLine], expect: 'allow' })],
      [3, () => ({ target: `http://${randomName(r)}/api/items`, lines: [hostLine], expect: 'reject' })],
      [1, () => ({ target: `http://${allowed}/api/items`, lines: [`Host: ${randomName(r)}`], expect: 'reject' })],
      // RFC 9112 3.2: an HTTP/1.1 request without Host is refused, authority in the target or not.
      [1, () => ({ target: `http://${allowed}/api/items`, lines: [], expect: 'reject' })],
      [1, () => ({ target: `http://${allowed}@evil.example/api/items`, lines: [hostLine], expect: 'reject' })],
      [1, () => ({ target: `http://user@${allowed}/api/items`, lines: [hostLine], expect: 'reject' })],
      [1, () => ({ target: `http://${allowed}:0/api/items`, lines: [hostLine], expect: 'reject' })],
      [1, () => ({ target: `http://127.1/api/items`, lines: [hostLine], expect: 'reject' })],
      [1, () => ({ target: `http:///api/items`, lines: [hostLine], expect: 'reject' })],
      [1, () => ({ target: `http://${allowed}?x=1`, lines: [hostLine], expect: 'allow' })],
      [1, () => ({ target: `HTTP://${allowed}/api/items`, lines: [hostLine], expect: 'any' })],
      [1, () => ({ target: `ftp://${allowed}/api/items`, lines: [hostLine], expect: 'any' })],
      [1, () => ({ target: `//${randomName(r)}/api/items`, lines: [hostLine], expect: 'any' })],
      [1, () => ({ target: `${allowed}/api/items`, lines: [hostLine], expect: 'any' })],
      [1, () => ({ target: `*`, lines: [hostLine], expect: 'any' })],
      // A disallowed authority, but the probe rule is decided first: a probe path in absolute form
      // is a probe whatever the authority (finish() gives it the 'probe' expectation).
      [
        2,
        () => ({
          target: `http://${randomName(r)}${r.pick(this.target.probePaths)}`,
          lines: [hostLine],
          expect: 'reject',
        }),
      ],
    ])();
    const method = kind.target === '*' ? 'OPTIONS' : r.chance(0.9) ? 'GET' : 'HEAD';
    const choice: HostChoice = { category: 'absolute-form target', lines: kind.lines, expect: kind.expect };
    return this.finish(id, choice.category, method, kind.target, '1.1', choice, undefined);
  }

  /** Requests whose framing Node's parser decides on: bad methods, versions, folding, smuggling shapes. */
  private framingEdge(id: number): FuzzRequest {
    const r = this.r;
    const h = r.pick(this.hosts);
    const fuzzId = `X-Fuzz-Id: ${id}`;
    const raw = r.pick<string>([
      `GET /api/items HTTP/1.1\r\nHost: ${h}\r\n${fuzzId}\r\nX-Folded: a\r\n b\r\n\r\n`,
      `GET /api/items HTTP/1.1\r\nHost: ${h}\r\n\tevil.example\r\n${fuzzId}\r\n\r\n`,
      `POST /api/items HTTP/1.1\r\nHost: ${h}\r\n${fuzzId}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /api/items HTTP/1.1\r\nHost: ${h}\r\n${fuzzId}\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x`,
      `G@T /api/items HTTP/1.1\r\nHost: ${h}\r\n${fuzzId}\r\n\r\n`,
      `GET /api/items HTTP/1.1\r\nHost : ${h}\r\n${fuzzId}\r\n\r\n`,
      `GET /api/items HTTP/1.1\r\nHost: ${h}\r\nHost\r\n${fuzzId}\r\n\r\n`,
      `GET /api/ items HTTP/1.1\r\nHost: ${h}\r\n${fuzzId}\r\n\r\n`,
      `GET /api/items HTTP/9.9\r\nHost: ${h}\r\n${fuzzId}\r\n\r\n`,
      `GET /api/items HTTP/1.1\nHost: ${h}\n${fuzzId}\n\n`,
      `GET /api/items HTTP/1.1\r\nHost: evil.example\r\n${fuzzId}\r\nHost: ${h}\r\n\r\n`,
      `GET /api/items HTTP/1.1\r\nhost:${h}\r\n${fuzzId}\r\n\r\n`,
      `GET /api/items HTTP/1.1\r\nHost: ${h}\r\n${fuzzId}\r\nX-Null: a\u0000b\r\n\r\n`,
      `GET /api/items HTTP/1.1\r\nHost: ${h}\r\nX-Long: ${'x'.repeat(r.int(1000, 9000))}\r\n${fuzzId}\r\n\r\n`,
      `POST /api/password-resets HTTP/1.1\r\nHost: ${h}\r\n${fuzzId}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ema\r\n0\r\n\r\n`,
      `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
    ]);
    return {
      id,
      category: 'framing edge',
      bytes: Buffer.from(raw, 'latin1'),
      method: raw.slice(0, raw.indexOf(' ')),
      expect: 'any',
      pipelinable: false,
      oversized: false,
    };
  }

  private finish(
    id: number,
    category: string,
    method: string,
    target: string,
    version: string,
    host: HostChoice,
    body: string | undefined,
    headers: readonly string[] = [],
  ): FuzzRequest {
    const bytes = serialize(method, target, version, [...host.lines, ...headers], id, body);
    const oversized = bytes.length > NODE_MAX_HEADER_BYTES - 256;
    const probe = isProbeTarget(method, target, this.target.probePaths);
    let expect: Expectation;
    if (oversized) expect = 'rejected';
    else if (probe) expect = host.parserBreaking ? 'rejected' : 'probe';
    else expect = host.expect === 'allow' ? 'app' : host.expect === 'reject' ? 'rejected' : 'any';
    return {
      id,
      category,
      bytes,
      method,
      expect,
      pipelinable: (expect === 'app' || expect === 'probe') && version === '1.1',
      oversized,
    };
  }
}

/**
 * Whether the layer must answer this as a probe: GET or HEAD, and the path (before any `?`, in
 * absolute form the part after the authority) equal to a probe path, byte for byte.
 */
export function isProbeTarget(method: string, target: string, probePaths: readonly string[]): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  let path = target;
  if (!target.startsWith('/')) {
    const scheme = target.indexOf('://');
    if (scheme === -1) return false;
    const slash = target.indexOf('/', scheme + 3);
    const query = target.indexOf('?', scheme + 3);
    path = query !== -1 && (slash === -1 || query < slash) ? '/' : slash === -1 ? '/' : target.slice(slash);
  }
  const query = path.indexOf('?');
  if (query !== -1) path = path.slice(0, query);
  return probePaths.includes(path);
}

function serialize(
  method: string,
  target: string,
  version: string,
  lines: readonly string[],
  id: number,
  body?: string,
): Buffer {
  let head = `${method} ${target} HTTP/${version}\r\n`;
  for (const line of lines) head += `${line}\r\n`;
  head += `X-Fuzz-Id: ${id}\r\n`;
  if (body !== undefined) head += `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`;
  head += '\r\n';
  return Buffer.from(body === undefined ? head : head + body, 'latin1');
}
