/**
 * How host values appear inside messages. A Host header is attacker-controlled, so it is never put
 * into a log line or a response body as is: control characters, non-ASCII and quotes are escaped
 * (Python's `ascii()` notation, which the spec's vectors use) and long values are cut.
 */

const HEX = '0123456789abcdef';

function hex(code: number, digits: number): string {
  let out = '';
  for (let shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += HEX[(code >> shift) & 15];
  return out;
}

/** One code point, escaped: `\t`, `\x00`, `\u212a`, `\\`, `\'`; printable ASCII unchanged. */
export function escapeHostChar(codePoint: number): string {
  if (codePoint === 0x5c) return '\\\\';
  if (codePoint === 0x27) return "\\'";
  if (codePoint >= 0x20 && codePoint <= 0x7e) return String.fromCharCode(codePoint);
  if (codePoint === 0x09) return '\\t';
  if (codePoint === 0x0a) return '\\n';
  if (codePoint === 0x0d) return '\\r';
  if (codePoint <= 0xff) return `\\x${hex(codePoint, 2)}`;
  if (codePoint <= 0xffff) return `\\u${hex(codePoint, 4)}`;
  return `\\U${hex(codePoint, 8)}`;
}

/** A value escaped character by character (see `escapeHostChar`). */
export function escapeHostText(value: string): string {
  let out = '';
  for (const char of value) out += escapeHostChar(char.codePointAt(0) as number);
  return out;
}

/**
 * A received host value made safe for a log line or a plain-text body: escaped, cut to `max`
 * characters (then `...` is appended) and quoted: `'example.com\\x00'`.
 * @param max characters of the value kept before escaping. @default 100
 */
export function quoteHostValue(value: string, max = 100): string {
  if (value.length > max) return `'${escapeHostText(value.slice(0, max))}...'`;
  return `'${escapeHostText(value)}'`;
}

/**
 * Request text that is not a host value (a method, a path) made safe for a log line, unquoted:
 * cut to `max` characters (then `...` is appended) and escaped as `escapeHostText` does, so that no
 * request can split, colour or forge the line (a CR LF shows as the four characters `\r\n`).
 * @param max characters of the value kept before escaping. @default 100
 */
export function escapeRequestText(value: string, max = 100): string {
  if (value.length > max) return `${escapeHostText(value.slice(0, max))}...`;
  return escapeHostText(value);
}
