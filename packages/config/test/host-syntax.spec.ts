/** Spec rule 1, value by value: what parseHost accepts, how it normalises, and the reason it gives. */
import { createParsedHost, parseHost } from '../src/host/host-syntax.js';

describe('parseHost', () => {
  test.each([
    ['example.com', 'name', 'example.com', 0],
    ['Example.COM.', 'name', 'example.com', 0],
    ['my_app.:3000', 'name', 'my_app', 3000],
    ['example.com:00080', 'name', 'example.com', 80],
    ['a-b.c_d', 'name', 'a-b.c_d', 0],
    ['10.42.0.17', 'ipv4', '10.42.0.17', 0],
    ['10.42.0.17.:8080', 'ipv4', '10.42.0.17', 8080],
    ['0.0.0.0', 'ipv4', '0.0.0.0', 0],
    ['255.255.255.255', 'ipv4', '255.255.255.255', 0],
    ['255.255.255.256', 'name', '255.255.255.256', 0],
    ['010.0.0.1', 'name', '010.0.0.1', 0],
    ['10.0.0', 'name', '10.0.0', 0],
    ['1.2.3.4.5', 'name', '1.2.3.4.5', 0],
    ['127.1', 'name', '127.1', 0],
    ['2130706433', 'name', '2130706433', 0],
    ['0x7f.0.0.1', 'name', '0x7f.0.0.1', 0],
    ['[::1]', 'ipv6', '[::1]', 0],
    ['[2001:DB8::1]:65535', 'ipv6', '[2001:db8::1]', 65535],
    ['[::ffff:10.0.0.1]', 'ipv6', '[::ffff:10.0.0.1]', 0],
    [`${'a'.repeat(63)}.com`, 'name', `${'a'.repeat(63)}.com`, 0],
  ])('accepts %j as %s %j port %d', (value, kind, name, port) => {
    const out = createParsedHost();
    expect(parseHost(value as string, out)).toBeUndefined();
    expect(out).toEqual({ kind, name, port });
  });

  test.each([
    ['', 'empty value'],
    ['.', 'name needs labels of 1-63 of a-z 0-9 - _'],
    ['.example.com', 'name needs labels of 1-63 of a-z 0-9 - _'],
    ['a..b', 'name needs labels of 1-63 of a-z 0-9 - _'],
    ['example.com..', 'name needs labels of 1-63 of a-z 0-9 - _'],
    [`${'a'.repeat(64)}.com`, 'name needs labels of 1-63 of a-z 0-9 - _'],
    [`${'a.'.repeat(126)}ab`, 'name longer than 253'],
    ['exa!mple.com', "character '!' not allowed"],
    ['*.example.com', "character '*' not allowed"],
    ['example.com]', "character ']' not allowed"],
    ['a b', "character ' ' not allowed"],
    ['a\u00a0b', "character '\\xa0' not allowed"],
    ['example.com,evil.com', "character ',' not allowed"],
    // A character never allowed is reported before a bad port or a bad name, wherever it is.
    ['exa!mple.com:99999@x', "character '@' not allowed"],
    ['example.com:', 'port must be 1-5 digits, 1-65535'],
    ['example.com:0', 'port must be 1-5 digits, 1-65535'],
    ['example.com:65536', 'port must be 1-5 digits, 1-65535'],
    ['example.com:000080', 'port must be 1-5 digits, 1-65535'],
    ['example.com:+80', 'port must be 1-5 digits, 1-65535'],
    ['example.com:http', 'port must be 1-5 digits, 1-65535'],
    [`${'a'.repeat(64)}:0`, 'port must be 1-5 digits, 1-65535'],
    ['example.com:80:80', "more than one ':'"],
    ['::1', "more than one ':'"],
    [':80', 'a port without a host'],
    [':', 'a port without a host'],
    ['[::1', "unterminated '['"],
    ['[]', 'not an IPv6 address inside brackets'],
    ['[1::2::3]', 'not an IPv6 address inside brackets'],
    ['[10.0.0.1]', 'not an IPv6 address inside brackets'],
    ['[::1]x', "only ':port' may follow ']'"],
    ['[::1]:0', 'port must be 1-5 digits, 1-65535'],
    ['[::1]:80:80', 'port must be 1-5 digits, 1-65535'],
    ['[fe80::1%eth0]', "character '%' not allowed"],
  ])('refuses %j: %s', (value, reason) => {
    expect(parseHost(value, createParsedHost())).toBe(reason);
  });
});
