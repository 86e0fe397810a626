/**
 * Spec rule 5: a probe path is compared with the request's path exactly and undecoded, so a
 * configured path must be written the way a client sends it. Anything that could never match
 * (or would match by a normalisation we do not do) is refused at configuration time.
 */

/** Characters of a path (RFC 3986 pchar and "/"), other than "%" which must start an escape. */
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]$/;

/**
 * Checks one probe path.
 * @returns undefined when it is fine, otherwise what is wrong and the form to write.
 * @example checkProbePath('up') // 'is not an absolute path; write "/up"'
 */
export function checkProbePath(raw: string): string | undefined {
  if (raw === '') return 'is empty; write a path such as "/up"';
  if (raw.trim() !== raw) return `has whitespace around it; write "${raw.trim()}"`;
  if (/\s/.test(raw))
    return 'contains whitespace; a request path carries none (write "%20" if the path really has a space)';
  const url = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(raw);
  if (url) return `is a URL; write the path alone: "${url[1] ?? '/'}"`;
  const query = raw.indexOf('?');
  if (query >= 0) return `has a query ("?"); write the path alone: "${raw.slice(0, query)}"`;
  const fragment = raw.indexOf('#');
  if (fragment >= 0) return `has a fragment ("#"); write the path alone: "${raw.slice(0, fragment)}"`;
  if (!raw.startsWith('/')) return `is not an absolute path; write "/${raw}"`;
  if (raw.startsWith('//'))
    return `starts with "//", which a client reads as a host; write "/${raw.replace(/^\/+/, '')}"`;
  if (raw.includes('//')) return `has an empty segment ("//"); write "${raw.replace(/\/{2,}/g, '/')}"`;
  if (/\/\.\.?(?:\/|$)/.test(raw))
    return 'has a "." or ".." segment, which clients resolve before sending; write the resolved path';
  for (const char of raw) {
    if (char.charCodeAt(0) > 0x7e) {
      return `has the character '${char}', which a client sends percent-encoded; write "${encodeURI(raw)}"`;
    }
    if (!PATH_CHAR.test(char)) {
      return `has the character '${escapeControl(char)}', which a request path cannot carry unencoded; write "${encodeURIComponent(char)}" in its place`;
    }
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(raw))
    return 'has a "%" that does not start an escape ("%2F"); write "%25" for a literal "%"';
  return undefined;
}

function escapeControl(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char;
}
