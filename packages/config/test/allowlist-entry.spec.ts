import { parseAllowlistEntry } from '../src/index.js';

describe('parseAllowlistEntry', () => {
  test.each([
    ['example.com', 'example.com'],
    ['App.Example.COM.', 'app.example.com'],
    ['example.com:8443', 'example.com:8443'],
    ['example.com:0443', 'example.com:443'],
    ['.example.com', '.example.com'],
    ['.Example.com.:8080', '.example.com:8080'],
    ['*.EXAMPLE.com.', '*.example.com'],
    ['*.example.com:8443', '*.example.com:8443'],
    ['*', '*'],
    ['my_app', 'my_app'],
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7:3000', '203.0.113.7:3000'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['[2001:db8::1]:8443', '[2001:db8::1]:8443'],
    ['[0:0:0:0:0:0:0:1]', '[0:0:0:0:0:0:0:1]'],
    ['[::FFFF:10.0.0.1]', '[::ffff:10.0.0.1]'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['[FD00::]/8', '[fd00::]/8'],
    ['[fd00:0:0::]/16', '[fd00::]/16'],
    ['[::]/0', '[::]/0'],
    ['BÜCHER.example', 'xn--bcher-kva.example'],
    ['.bücher.example', '.xn--bcher-kva.example'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
  ])('accepts %j as %j', (raw, entry) => {
    expect(parseAllowlistEntry(raw)).toEqual({ entry });
  });

  test.each([
    ['', 'is empty; write a host such as "app.example.com"'],
    ['   ', 'is blank; write a host such as "app.example.com"'],
    [' App.example.com ', 'has whitespace around it; write "app.example.com"'],
    ['a.com b.com', 'contains whitespace; write one host per entry, without spaces'],
    ['a.com, b.com', 'contains ","; write one host per entry: "a.com", "b.com"'],
    ['example.com\u0000', "contains the control character '\\x00'"],
    ['https://app.example.com', 'is a URL; write the host alone: "app.example.com"'],
    ['https://App.example.com:8443/login?next=/', 'is a URL; write the host alone: "app.example.com:8443"'],
    ['http://user:pw@app.example.com/', 'is a URL; write the host alone: "app.example.com"'],
    ['http:///x', 'is a URL; write the host alone, such as "app.example.com"'],
    ['/up', 'is a path, not a host'],
    ['example.com/app', 'has a path; write the host alone: "example.com"'],
    ['user@example.com', 'has user info ("user@"); write the host alone: "example.com"'],
    ['example.com?x=1', 'has a query ("?"); write the host alone: "example.com"'],
    ['example.com#top', 'has a fragment ("#"); write the host alone: "example.com"'],
    [
      '^.*\\.example\\.com$',
      'looks like a regular expression; regular expressions are not supported: write ".example.com" for a domain and all its subdomains',
    ],
    [
      '^(www\\.)?shop\\.example\\.org$',
      'looks like a regular expression; regular expressions are not supported: write ".shop.example.org" for a domain and all its subdomains',
    ],
    [
      '/example\\.com$/i',
      'looks like a regular expression; regular expressions are not supported: write ".example.com" for a domain and all its subdomains',
    ],
    [
      'app[0-9].example.com',
      'looks like a regular expression; regular expressions are not supported: write ".example.com" for a domain and all its subdomains',
    ],
    ['10.0.0.1/8', 'has host bits set; write the network address: "10.0.0.0/8"'],
    ['172.16.5.4/12', 'has host bits set; write the network address: "172.16.0.0/12"'],
    ['[fd00::1]/8', 'has host bits set; write the network address: "[fd00::]/8"'],
    ['10.0.0.0/33', 'has prefix "/33"; an IPv4 prefix is 0-32: "10.0.0.0/8"'],
    ['10.0.0.0/08', 'has prefix "/08"; an IPv4 prefix is 0-32: "10.0.0.0/8"'],
    ['[fd00::]/129', 'has prefix "/129"; an IPv6 prefix is 0-128: "[fd00::]/8"'],
    ['fd00::/8', 'is an IPv6 network without brackets; write "[fd00::]/8"'],
    ['example.com:99999', 'has port 99999; a port is 1-65535'],
    ['example.com:0', 'has port 0; a port is 1-65535'],
    ['example.com:http', 'has port "http"; a port is 1-65535'],
    ['example.com:', 'has an empty port after ":"; write "example.com" for any port or "example.com:8443" for one'],
    [':8080', 'is a port without a host; write "app.example.com:8443"'],
    ['example.com:80:80', 'has more than one ":"; write "name:port", as in "app.example.com:8443"'],
    ['*.', '"*." needs a domain after it: "*.example.com"'],
    ['.', '"." needs a domain after it: ".example.com"'],
    [
      '**.example.com',
      'has "*" where it is not allowed; "*" stands alone or starts an entry as "*.": write "*.example.com"',
    ],
    [
      '*example.com',
      'has "*" where it is not allowed; "*" stands alone or starts an entry as "*.": write "*.example.com"',
    ],
    [
      'api.*.example.com',
      'has "*" where it is not allowed; "*" stands alone or starts an entry as "*.": write "*.example.com"',
    ],
    ['*:8080', '"*" takes no port; "*" alone allows every host on every port'],
    ['a..b', 'has an empty label (".."); write "a.b"'],
    ['example.com..', 'has an empty label (".."); write "example.com"'],
    ['..example.com', 'has an empty label (".."); write ".example.com"'],
    ['[::1', 'has an unterminated "["; write "[::1]"'],
    ['[example', 'has an unterminated "["; write an IPv6 address in brackets: "[2001:db8::1]"'],
    [
      '[example.com]',
      'has brackets around "example.com", which is not an IPv6 address; brackets are for IPv6 only: "[2001:db8::1]"',
    ],
    [
      '[1::2::3]',
      'has brackets around "1::2::3", which is not an IPv6 address; brackets are for IPv6 only: "[2001:db8::1]"',
    ],
    ['[fe80::1%eth0]', 'has a zone id ("%eth0"); a Host never carries one: write "[fe80::1]"'],
    ['[::1]x', 'has "x" after "]"; only ":port" may follow, as in "[2001:db8::1]:8443"'],
    ['2001:DB8::1', 'is an IPv6 address without brackets; write "[2001:db8::1]"'],
    ['exa!mple.com', `has the character '!'; a host name is letters, digits, "-" and "_" between dots`],
    [`${'a'.repeat(64)}.com`, 'has a label longer than 63 characters, the most a label can have'],
    [`${'a.'.repeat(127)}com`, 'is longer than 253 characters, the most a host name can have'],
    [
      '010.0.0.1',
      'is not an IPv4 address as a Host carries it; write four octets 0-255 without leading zeros: "10.0.0.1"',
    ],
    [
      '127.1',
      'is not an IPv4 address as a Host carries it; write four octets 0-255 without leading zeros: one such as "10.0.0.1"',
    ],
    ['.10.0.0.1', 'puts "." before an IP address, which has no subdomains; write "10.0.0.1"'],
    ['*.[::1]', 'puts "*." before an IP address, which has no subdomains; write "[::1]"'],
  ])('refuses %j: %s', (raw, message) => {
    expect(parseAllowlistEntry(raw)).toEqual({ problem: { value: JSON.stringify(raw), message } });
  });

  it('refuses a Unicode name that is not a valid international domain name', () => {
    expect(parseAllowlistEntry('bü\u0378cher.example')).toEqual({
      problem: { value: '"bü\u0378cher.example"', message: 'is not a valid international domain name' },
    });
  });
});
