/**
 * The matcher beyond the spec vectors: configuration errors, the probe check, trusted-proxy lists
 * with peer addresses, the fixes a rejection suggests, and large allowlists.
 */
import { compileHostAllowlist, compileHostMatcher, type HostRequest, UpgateConfigError } from '../src/index.js';
import { escapeRequestText, quoteHostValue } from '../src/internal.js';

const get = (host: string | null, extra: Partial<HostRequest> = {}): HostRequest => ({
  method: 'GET',
  path: '/',
  host,
  ...extra,
});

const MALFORMED_FIX =
  'none in the allowlist: a malformed host is never allowed; if a real client sends it, fix that client or the proxy in front of it';

function thrown(run: () => unknown): UpgateConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof UpgateConfigError) return error;
    throw error;
  }
  throw new Error('expected an UpgateConfigError');
}

describe('compileHostMatcher: configuration', () => {
  it('throws one UpgateConfigError listing every bad entry, probe path and trust-proxy entry', () => {
    const error = thrown(() =>
      compileHostMatcher({
        allowedHosts: ['example.com', 'https://app.example.com', '10.0.0.1/8', '^.*\\.example\\.com$'],
        probePaths: ['/up', 'healthz'],
        trustProxy: ['loopback', 'proxy'],
      }),
    );
    expect(error.message).toBe(
      [
        'upgate: invalid settings (5 problems):',
        '  - allowedHosts[1]: "https://app.example.com" is a URL; write the host alone: "app.example.com"',
        '  - allowedHosts[2]: "10.0.0.1/8" has host bits set; write the network address: "10.0.0.0/8"',
        '  - allowedHosts[3]: "^.*\\\\.example\\\\.com$" looks like a regular expression; regular expressions are not supported: write ".example.com" for a domain and all its subdomains',
        '  - probePaths[1]: "healthz" is not an absolute path; write "/healthz"',
        '  - trustProxy[1]: "proxy" is not an address, a network or a range name; write "10.0.0.1", "10.0.0.0/8", "fd00::/8", "loopback" or "private"',
      ].join('\n'),
    );
    expect(error.problems.map((p) => p.setting)).toEqual([
      'allowedHosts[1]',
      'allowedHosts[2]',
      'allowedHosts[3]',
      'probePaths[1]',
      'trustProxy[1]',
    ]);
  });

  it('exposes the normalised entries', () => {
    const matcher = compileHostMatcher({
      allowedHosts: ['App.Example.COM.', 'BÜCHER.example', '[2001:DB8::1]:0443'],
      probePaths: ['/up'],
    });
    expect(matcher.allowedHosts).toEqual(['app.example.com', 'xn--bcher-kva.example', '[2001:db8::1]:443']);
    expect(matcher.probePaths).toEqual(['/up']);
  });

  it('an empty allowlist allows nothing, but probes are still answered', () => {
    const matcher = compileHostMatcher({ allowedHosts: [], probePaths: ['/up'] });
    expect(matcher.decide(get('localhost')).kind).toBe('reject-disallowed');
    expect(matcher.decide({ method: 'GET', path: '/up', host: 'localhost' }).kind).toBe('probe');
  });

  it('compileHostAllowlist names the setting it was given', () => {
    const error = thrown(() =>
      compileHostAllowlist(['admin.example.com', 'admin.example.com/'], '@AllowHosts(AdminController)'),
    );
    expect(error.message).toBe(
      [
        'upgate: invalid settings (1 problem):',
        '  - @AllowHosts(AdminController)[1]: "admin.example.com/" has a path; write the host alone: "admin.example.com"',
      ].join('\n'),
    );
  });
});

describe('isProbe', () => {
  const matcher = compileHostMatcher({ allowedHosts: ['example.com'], probePaths: ['/up', '/healthz'] });

  test.each([
    ['GET', '/up', true],
    ['HEAD', '/up', true],
    ['GET', '/healthz', true],
    ['GET', '/up?full=1', true],
    ['GET', '/up?', true],
    ['POST', '/up', false],
    ['get', '/up', false],
    ['OPTIONS', '/up', false],
    ['GET', '/up/', false],
    ['GET', '/upx', false],
    ['GET', '/u', false],
    ['GET', '/UP', false],
    ['GET', '//up', false],
    ['GET', '/up#x', false],
    ['GET', '/up%3F', false],
    ['GET', '/up;x', false],
    ['GET', '', false],
  ])('%s %j -> %s', (method, path, probe) => {
    expect(matcher.isProbe(method, path)).toBe(probe);
  });
});

describe('allowsHost', () => {
  const matcher = compileHostAllowlist([
    'example.com',
    'api.example.com:8443',
    '.shop.example.org',
    '*.apps.example.net:8080',
    '203.0.113.7',
    '[2001:db8::1]',
    '10.42.0.0/16',
    '[fd00::]/8',
    '[::ffff:0:0]/96',
  ]);

  test.each([
    ['example.com', true],
    ['EXAMPLE.com.', true],
    ['example.com:3000', true],
    ['www.example.com', false],
    ['api.example.com:8443', true],
    ['api.example.com', false],
    ['api.example.com:443', false],
    ['shop.example.org', true],
    ['a.b.c.shop.example.org:1', true],
    ['notshop.example.org', false],
    ['shop.example.org.evil.com', false],
    ['example.org', false],
    ['x.apps.example.net:8080', true],
    ['apps.example.net:8080', false],
    ['x.apps.example.net', false],
    ['203.0.113.7:80', true],
    ['203.0.113.7.', true],
    ['0203.0.113.7', false],
    ['[2001:DB8::1]:443', true],
    ['[2001:db8:0::1]', false],
    ['10.42.255.255', true],
    ['10.43.0.1', false],
    ['[fd00::17]:3000', true],
    ['[fe80::17]', false],
    // Within the IPv6 family, a mapped address is inside an IPv6 network.
    ['[::ffff:10.42.0.17]', true],
    ['exa mple.com', false],
    ['', false],
  ])('%j -> %s', (host, allowed) => {
    expect(matcher.allowsHost(host)).toBe(allowed);
  });

  it('keeps an IPv4-mapped IPv6 host out of an IPv4 network', () => {
    expect(compileHostAllowlist(['10.0.0.0/8']).allowsHost('[::ffff:10.0.0.1]')).toBe(false);
    expect(compileHostAllowlist(['10.0.0.0/8']).allowsHost('10.0.0.1')).toBe(true);
  });

  it('never matches an IP literal with a name entry', () => {
    const names = compileHostAllowlist(['.localhost', '.0.1.arpa', 'localhost']);
    expect(names.allowsHost('127.0.0.1')).toBe(false);
    expect(names.allowsHost('[::1]')).toBe(false);
    expect(names.allowsHost('x.0.1.arpa')).toBe(true);
  });

  it('"*" allows every valid host and nothing malformed', () => {
    const any = compileHostAllowlist(['*']);
    expect(any.allowsHost('anything.example:1')).toBe(true);
    expect(any.allowsHost('[::1]')).toBe(true);
    expect(any.allowsHost('a..b')).toBe(false);
    expect(any.allowsHost('example.com@evil.com')).toBe(false);
  });
});

describe('decide', () => {
  it('hands the app the normalised host: lower case, no trailing dot, the port as a number', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['.example.com', '[2001:db8::1]'] });
    expect(matcher.decide(get('WWW.Example.COM.:00080'))).toEqual({ kind: 'allow', host: 'www.example.com:80' });
    expect(matcher.decide(get('example.com'))).toEqual({ kind: 'allow', host: 'example.com' });
    expect(matcher.decide(get('[2001:DB8::1]:8443'))).toEqual({ kind: 'allow', host: '[2001:db8::1]:8443' });
  });

  it('says what to add for an unlisted host, without its port', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['example.com'] });
    expect(matcher.decide(get('7c7168a662c1:8000'))).toEqual({
      kind: 'reject-disallowed',
      value: '7c7168a662c1:8000',
      reason: 'well-formed but matches no entry of the allowed hosts',
      fix: "add '7c7168a662c1' to the allowed hosts",
      source: 'Host',
    });
  });

  it('names the list it was given a name for, in the reason and in the fix', () => {
    const matcher = compileHostMatcher({
      allowedHosts: ['admin.example.com'],
      listName: '@AllowHosts() on AdminController',
    });
    expect(matcher.decide(get('shop.example.com'))).toMatchObject({
      reason: 'well-formed but matches no entry of @AllowHosts() on AdminController',
      fix: "add 'shop.example.com' to @AllowHosts() on AdminController",
    });
  });

  it('says so when the name is listed for other ports only', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['host.test:3000', '*.test:4000'] });
    expect(matcher.decide(get('host.test:3001')).fix).toBe(
      "add 'host.test:3001' (or 'host.test' for any port) to the allowed hosts; it is listed for port 3000, 4000 only",
    );
    expect(matcher.decide(get('host.test')).fix).toBe("add 'host.test' to the allowed hosts");
  });

  it('gives a malformed value with its rule, its source and no entry to add', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['*'] });
    expect(matcher.decide(get('example.com\u0000'))).toEqual({
      kind: 'reject-malformed',
      value: 'example.com\u0000',
      reason: "character '\\x00' not allowed",
      fix: MALFORMED_FIX,
      source: 'Host',
    });
    expect(matcher.decide(get('example.com', { requestTarget: 'http://a@b/' }))).toMatchObject({
      kind: 'reject-malformed',
      value: 'a@b',
      source: 'request target',
    });
    expect(matcher.decide(get('example.com', { requestTarget: 'example.com:80' }))).toMatchObject({
      kind: 'reject-malformed',
      value: 'example.com:80',
      reason: 'request target in neither origin nor absolute form',
    });
  });

  it('ignores an origin-form or asterisk-form request target', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['example.com'] });
    expect(matcher.decide(get('example.com', { requestTarget: '/x' })).kind).toBe('allow');
    expect(matcher.decide({ method: 'OPTIONS', path: '*', host: 'example.com', requestTarget: '*' }).kind).toBe(
      'allow',
    );
  });

  it('takes HTTP/2 :authority as the host, and rejects a Host that differs', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['example.com'] });
    expect(matcher.decide(get(null, { authority: 'Example.com:443' }))).toEqual({
      kind: 'allow',
      host: 'example.com:443',
    });
    expect(matcher.decide(get('evil.com', { authority: 'example.com' }))).toMatchObject({
      kind: 'reject-malformed',
      reason: "HTTP/2 host 'evil.com' differs from :authority 'example.com'",
    });
    // Unicode case folding does not make them equal: the Kelvin sign is not "k".
    expect(matcher.decide(get('\u212aitchen.example.com', { authority: 'kitchen.example.com' })).kind).toBe(
      'reject-malformed',
    );
  });

  describe('X-Forwarded-Host', () => {
    const behindProxy = (trustProxy: boolean | string[]) =>
      compileHostMatcher({ allowedHosts: ['example.com', 'www.example.com', 'app'], trustProxy });

    it('is ignored unless the proxy is trusted', () => {
      expect(behindProxy(false).decide(get('example.com', { forwardedHost: 'evil.com' }))).toEqual({
        kind: 'allow',
        host: 'example.com',
      });
    });

    it('when trusted, gives the app the first entry as the host', () => {
      expect(behindProxy(true).decide(get('app:3000', { forwardedHost: 'WWW.example.com, example.com' }))).toEqual({
        kind: 'allow',
        host: 'www.example.com',
      });
    });

    it('from a list, is believed only from a listed peer', () => {
      const matcher = behindProxy(['10.0.0.0/8', 'loopback']);
      const request = get('example.com', { forwardedHost: 'evil.com' });
      expect(matcher.decide({ ...request, peerAddress: '203.0.113.9' })).toEqual({
        kind: 'allow',
        host: 'example.com',
      });
      expect(matcher.decide({ ...request, peerAddress: undefined })).toEqual({ kind: 'allow', host: 'example.com' });
      expect(matcher.decide({ ...request, peerAddress: '10.1.2.3' })).toMatchObject({
        kind: 'reject-disallowed',
        value: 'evil.com',
        source: 'X-Forwarded-Host',
      });
      expect(matcher.decide({ ...request, peerAddress: '::ffff:10.1.2.3' }).kind).toBe('reject-disallowed');
      expect(matcher.decide({ ...request, peerAddress: '::1' }).kind).toBe('reject-disallowed');
    });

    it('says when the proxy rewrote Host to an unlisted upstream name', () => {
      expect(behindProxy(true).decide(get('web_1:3000', { forwardedHost: 'example.com' }))).toEqual({
        kind: 'reject-disallowed',
        value: 'web_1:3000',
        reason: 'well-formed but matches no entry of the allowed hosts',
        fix:
          "the trusted proxy sent Host 'web_1' (an upstream name, as nginx's default 'proxy_set_header Host $proxy_host' does): " +
          "add 'web_1' to the allowed hosts, or have the proxy pass the original Host ('proxy_set_header Host $host')",
        source: 'Host',
      });
    });

    it('reports an unlisted forwarded entry before an unlisted Host', () => {
      expect(behindProxy(true).decide(get('web_1:3000', { forwardedHost: 'evil.com' }))).toMatchObject({
        value: 'evil.com',
        fix: "add 'evil.com' to the allowed hosts",
      });
    });

    it("is checked, whatever trustProxy says, where the app's framework believes it from this peer", () => {
      // Express's `trust proxy` or Fastify's `trustProxy`: the app reads it as req.hostname.
      const request = get('example.com', { forwardedHost: 'evil.com, www.example.com', forwardedHostTrusted: true });
      expect(behindProxy(false).decide(request)).toMatchObject({
        kind: 'reject-disallowed',
        value: 'evil.com',
        source: 'X-Forwarded-Host',
      });
      expect(behindProxy(['10.0.0.0/8']).decide({ ...request, peerAddress: '203.0.113.9' }).kind).toBe(
        'reject-disallowed',
      );
      expect(behindProxy(false).decide({ ...request, forwardedHost: 'WWW.example.com, example.com' })).toEqual({
        kind: 'allow',
        host: 'www.example.com',
      });
      expect(behindProxy(false).decide({ ...request, forwardedHostTrusted: false })).toEqual({
        kind: 'allow',
        host: 'example.com',
      });
    });

    it('trims spaces and tabs around commas, and rejects an empty entry', () => {
      expect(
        behindProxy(true).decide(get('example.com', { forwardedHost: 'example.com \t,\twww.example.com' })).kind,
      ).toBe('allow');
      expect(behindProxy(true).decide(get('example.com', { forwardedHost: 'example.com,' }))).toMatchObject({
        kind: 'reject-malformed',
        value: '',
        reason: 'empty value',
        source: 'X-Forwarded-Host',
      });
    });
  });

  it('decides by the same rules against 10,000 exact and 1,000 subdomain entries', () => {
    const entries = [
      ...Array.from({ length: 10_000 }, (_, i) => `host-${i}.example.com${i % 2 === 0 ? '' : `:${1000 + i}`}`),
      ...Array.from({ length: 1_000 }, (_, i) => `.tenant-${i}.example.net`),
    ];
    const matcher = compileHostMatcher({ allowedHosts: entries });
    expect(matcher.decide(get('host-9998.example.com:1')).kind).toBe('allow');
    expect(matcher.decide(get('host-9999.example.com:10999')).kind).toBe('allow');
    expect(matcher.decide(get('host-9999.example.com:11000')).kind).toBe('reject-disallowed');
    expect(matcher.decide(get('host-10000.example.com')).kind).toBe('reject-disallowed');
    expect(matcher.decide(get('a.b.tenant-999.example.net')).kind).toBe('allow');
    expect(matcher.decide(get('tenant-999.example.net')).kind).toBe('allow');
    expect(matcher.decide(get('tenant-1000.example.net')).kind).toBe('reject-disallowed');
    expect(matcher.decide(get('example.net')).kind).toBe('reject-disallowed');
  });
});

describe('CONNECT', () => {
  const matcher = compileHostMatcher({ allowedHosts: ['app.example.com'] });
  const connect = (target: string, host: string | null): HostRequest => ({
    method: 'CONNECT',
    path: target,
    host,
    requestTarget: target,
  });

  it('checks the authority-form target as a host value, beside Host', () => {
    expect(matcher.decide(connect('app.example.com:443', 'app.example.com:443'))).toEqual({
      kind: 'allow',
      host: 'app.example.com:443',
    });
    expect(matcher.decide(connect('evil.example:443', 'app.example.com:443'))).toMatchObject({
      kind: 'reject-disallowed',
      value: 'evil.example:443',
      source: 'request target',
    });
    expect(matcher.decide(connect('app.example.com:443', 'evil.example:443'))).toMatchObject({
      kind: 'reject-disallowed',
      value: 'evil.example:443',
      source: 'Host',
    });
    expect(matcher.decide(connect('app.example.com@evil.example:443', 'app.example.com'))).toMatchObject({
      kind: 'reject-malformed',
      source: 'request target',
    });
  });

  it('is not a probe, whatever its target', () => {
    const withProbe = compileHostMatcher({ allowedHosts: ['app.example.com'], probePaths: ['/up'] });
    expect(withProbe.decide({ method: 'CONNECT', path: '/up', host: 'evil.example' }).kind).toBe('reject-disallowed');
  });
});

describe('header lines at the server limit', () => {
  it('make a request malformed, since a second Host may have been dropped unseen', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['app.example.com'], probePaths: ['/up'] });
    expect(matcher.decide(get('app.example.com', { headerLimitReached: true }))).toEqual({
      kind: 'reject-malformed',
      value: 'app.example.com',
      reason:
        "header lines reached the server's limit (maxHeadersCount), past which Node drops them unseen: a second Host may be among them",
      fix: "none in the allowlist; if a real client sends this many header lines, raise the server's maxHeadersCount (0: no limit)",
      source: 'Host',
    });
    expect(matcher.decide(get('app.example.com', { headerLimitReached: false })).kind).toBe('allow');
    // The probe rule is decided first (rule 5).
    expect(matcher.decide({ method: 'GET', path: '/up', host: 'x', headerLimitReached: true })).toEqual({
      kind: 'probe',
    });
  });
});

describe('decideHost', () => {
  it('applies the host rules alone: a probe path is an ordinary request to it', () => {
    const matcher = compileHostMatcher({ allowedHosts: ['app.example.com'], probePaths: ['/up'] });
    const probe = { method: 'GET', path: '/up', host: '7c7168a662c1:3000' };
    expect(matcher.decide(probe)).toEqual({ kind: 'probe' });
    expect(matcher.decideHost(probe)).toMatchObject({ kind: 'reject-disallowed', value: '7c7168a662c1:3000' });
    expect(matcher.decideHost({ ...probe, host: 'app.example.com' })).toEqual({
      kind: 'allow',
      host: 'app.example.com',
    });
    expect(matcher.decideHost({ ...probe, host: 'app.example.com@evil.com' })).toMatchObject({
      kind: 'reject-malformed',
    });
  });
});

describe('quoteHostValue', () => {
  test.each([
    ['example.com', "'example.com'"],
    ['a\tb', "'a\\tb'"],
    ['\u0000', "'\\x00'"],
    ['b\u00fccher', "'b\\xfccher'"],
    ['\u212aitchen', "'\\u212aitchen'"],
    ["it's\\", "'it\\'s\\\\'"],
    ['\u{1f600}', "'\\U0001f600'"],
  ])('%j -> %s', (value, quoted) => {
    expect(quoteHostValue(value)).toBe(quoted);
  });

  it('cuts a long value', () => {
    expect(quoteHostValue('a'.repeat(150))).toBe(`'${'a'.repeat(100)}...'`);
    expect(quoteHostValue('abcdef', 3)).toBe("'abc...'");
  });
});

describe('escapeRequestText', () => {
  test.each([
    ['/reset/abc?x=1', '/reset/abc?x=1'],
    ['/%1b[31m', '/%1b[31m'],
    ['/a\r\nX-Forged: 1', '/a\\r\\nX-Forged: 1'],
    ['/b\u00fccher\\', '/b\\xfccher\\\\'],
  ])('%j -> %s, unquoted', (value, escaped) => {
    expect(escapeRequestText(value)).toBe(escaped);
  });

  it('cuts long text', () => {
    expect(escapeRequestText(`/${'a'.repeat(150)}`)).toBe(`/${'a'.repeat(99)}...`);
    expect(escapeRequestText('PROPFIND', 4)).toBe('PROP...');
  });
});
