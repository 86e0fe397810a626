/**
 * The path kamal-proxy really requests for `proxy.healthcheck.path`. It builds the health-check URL
 * with Go's `url.JoinPath(path)` on `http://<container-id>:<app_port>`, which cleans the path
 * (`//up` -> `/up`, `/a/../up` -> `/up`, a trailing slash kept) and escapes what a path may not
 * hold (`/up?full=1` -> `/up%3Ffull=1`). Probe paths match exactly, so the check compares this.
 */

/** Characters Go leaves alone in a path it re-escapes (unreserved, and `$&+,/:;=@`). */
const GO_PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;
/** Characters Go accepts as already escaped in a written path (`validEncoded`: pchar, `[]`, `%`). */
const GO_VALID_ENCODED = /^[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]%/]*$/;

/** `path.Join('/', p)`: collapse `//`, drop `.`, resolve `..` (never above the root). */
function cleanPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

function escapeGoPath(decoded: string): string {
  let out = '';
  for (const char of decoded) {
    if (GO_PATH_SAFE.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * What kamal-proxy sends as the request path for a configured health-check path, or `undefined`
 * when Go would fail to build the URL (an invalid `%` escape), in which case it requests `/`.
 */
export function kamalHealthCheckRequestPath(configured: string): string | undefined {
  let path = cleanPath(configured);
  if (configured.endsWith('/') && !path.endsWith('/')) path += '/';
  if (GO_VALID_ENCODED.test(path)) {
    // Written escapes are kept as written only when they decode; Go rejects `%zz`.
    try {
      decodeURIComponent(path);
    } catch {
      return undefined;
    }
    return path;
  }
  try {
    return escapeGoPath(decodeURIComponent(path));
  } catch {
    return undefined;
  }
}
