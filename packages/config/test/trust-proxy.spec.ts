import { checkTrustProxyEntry, compileTrustProxy, UpgateConfigError } from '../src/index.js';

describe('checkTrustProxyEntry', () => {
  test.each([
    '10.0.0.1',
    '::1',
    '[::1]',
    '2001:db8::1',
    '10.0.0.0/8',
    '0.0.0.0/0',
    'fd00::/8',
    '[fd00::]/8',
    '::/0',
    'loopback',
    'private',
  ])('accepts %j', (entry) => {
    expect(checkTrustProxyEntry(entry)).toBeUndefined();
  });

  test.each([
    ['', 'is empty; write an address ("10.0.0.1"), a network ("10.0.0.0/8"), "loopback" or "private"'],
    [' 10.0.0.1', 'has whitespace around it; write "10.0.0.1"'],
    ['Private', 'names a range in the wrong case; write "private"'],
    ['10.0.0.1/8', 'has host bits set; write the network address: "10.0.0.0/8"'],
    ['fd00::1/8', 'has host bits set; write the network address: "fd00::/8"'],
    ['[fd00::1]/8', 'has host bits set; write the network address: "[fd00::]/8"'],
    ['10.0.0.0/40', 'has prefix "/40"; an IPv4 prefix is 0-32: "10.0.0.0/8"'],
    ['fd00::/200', 'has prefix "/200"; an IPv6 prefix is 0-128: "fd00::/8"'],
    ['example.com/8', 'is not an IP network; write an address and a prefix: "10.0.0.0/8" or "[fd00::]/8"'],
    ['010.0.0.1', 'is not an IPv4 address; write four octets 0-255 without leading zeros, such as "10.0.0.1"'],
    ['10.0.0.1:8080', 'has a port; write the address alone: "10.0.0.1"'],
    ['fe80::1%eth0', 'has a zone id; write the address alone: "fe80::1"'],
    [
      'proxy.internal',
      'is not an address, a network or a range name; write "10.0.0.1", "10.0.0.0/8", "fd00::/8", "loopback" or "private"',
    ],
  ])('refuses %j: %s', (entry, message) => {
    expect(checkTrustProxyEntry(entry)).toBe(message);
  });
});

describe('compileTrustProxy', () => {
  it('trusts every peer for true, even an unknown one, and none for false', () => {
    expect(compileTrustProxy(true)('203.0.113.9')).toBe(true);
    expect(compileTrustProxy(true)(undefined)).toBe(true);
    expect(compileTrustProxy(false)('127.0.0.1')).toBe(false);
  });

  test.each([
    ['127.0.0.1', true],
    ['127.255.0.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::2', false],
  ])('loopback: %s -> %s', (peer, trusted) => {
    expect(compileTrustProxy(['loopback'])(peer)).toBe(trusted);
  });

  test.each([
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.254', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['192.169.0.1', false],
    ['fc00::1', true],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['169.254.169.254', false],
    ['127.0.0.1', true],
    ['::1', true],
    ['8.8.8.8', false],
    ['2001:db8::1', false],
    // Node reports IPv4 peers of a dual-stack socket this way.
    ['::ffff:10.0.0.1', true],
    ['::FFFF:192.168.0.7', true],
    ['::ffff:8.8.8.8', false],
  ])('private: %s -> %s', (peer, trusted) => {
    expect(compileTrustProxy(['private'])(peer)).toBe(trusted);
  });

  it('matches addresses and networks of both families, and never an unknown peer', () => {
    const trusts = compileTrustProxy(['203.0.113.7', '198.51.100.0/24', '[2001:db8::5]', '2001:db8:1::/48']);
    expect(trusts('203.0.113.7')).toBe(true);
    expect(trusts('::ffff:203.0.113.7')).toBe(true);
    expect(trusts('203.0.113.8')).toBe(false);
    expect(trusts('198.51.100.200')).toBe(true);
    expect(trusts('2001:db8::5')).toBe(true);
    expect(trusts('2001:DB8:0:0:0:0:0:5')).toBe(true);
    expect(trusts('2001:db8:1:ffff::1')).toBe(true);
    expect(trusts('2001:db8:2::1')).toBe(false);
    expect(trusts(undefined)).toBe(false);
    expect(trusts('')).toBe(false);
    expect(trusts('not an address')).toBe(false);
  });

  test.each([
    ['::ffff:127.0.0.1', ['127.0.0.1', '::ffff:127.0.0.1'], ['127.0.0.2', '::1']],
    ['[::ffff:127.0.0.1]', ['127.0.0.1', '::ffff:127.0.0.1'], ['127.0.0.2', '::ffff:127.0.0.2']],
    ['::FFFF:7f00:1', ['127.0.0.1', '::ffff:127.0.0.1'], ['127.0.0.2']],
    ['::ffff:127.0.0.0/104', ['127.0.0.1', '127.255.255.255', '::ffff:127.1.2.3'], ['128.0.0.1', '::1']],
    ['[::ffff:10.0.0.0]/120', ['10.0.0.255', '::ffff:10.0.0.7'], ['10.0.1.0']],
    ['::ffff:0.0.0.0/96', ['8.8.8.8', '::ffff:192.168.0.1'], ['::1', '2001:db8::1']],
  ])('an IPv4-mapped entry %j is its IPv4 form: it trusts the peer it spells', (entry, trusted, untrusted) => {
    expect(checkTrustProxyEntry(entry)).toBeUndefined();
    const trusts = compileTrustProxy([entry]);
    for (const peer of trusted) expect([peer, trusts(peer)]).toEqual([peer, true]);
    for (const peer of untrusted) expect([peer, trusts(peer)]).toEqual([peer, false]);
  });

  it('a network that only contains the IPv4-mapped range stays IPv6', () => {
    // `::/64` holds ::ffff:0:0/96, but it is an IPv6 network: IPv4 peers (mapped or not) are IPv4 for trust.
    const trusts = compileTrustProxy(['::/64']);
    expect(trusts('::5')).toBe(true);
    expect(trusts('::ffff:10.0.0.1')).toBe(false);
    expect(trusts('10.0.0.1')).toBe(false);
  });

  it('an empty list trusts nobody', () => {
    expect(compileTrustProxy([])('127.0.0.1')).toBe(false);
  });

  it('throws one UpgateConfigError naming every bad entry', () => {
    let error: unknown;
    try {
      compileTrustProxy(['loopback', '10.0.0.1/8', 'proxy']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UpgateConfigError);
    expect((error as UpgateConfigError).message).toBe(
      [
        'upgate: invalid settings (2 problems):',
        '  - trustProxy[1]: "10.0.0.1/8" has host bits set; write the network address: "10.0.0.0/8"',
        '  - trustProxy[2]: "proxy" is not an address, a network or a range name; write "10.0.0.1", "10.0.0.0/8", "fd00::/8", "loopback" or "private"',
      ].join('\n'),
    );
  });
});
