/**
 * The shapes the host matcher works on. The request description is deliberately framework-free
 * (it is the `request` field of the spec's test vectors) so that any HTTP layer can build one.
 */

/** What the matcher decided for one request (spec rules 1-5). */
export type HostDecisionKind = 'allow' | 'reject-malformed' | 'reject-disallowed' | 'probe';

/** Which value of a request a rejection is about. */
export type HostValueSource = 'Host' | ':authority' | 'X-Forwarded-Host' | 'request target';

/** The parts of a request that the host rules look at. */
export interface HostRequest {
  /** Request method, upper case as sent (`GET`, `HEAD`, ...). */
  readonly method: string;
  /** The origin-form path including any query (`/up?full=1`), as sent, undecoded. */
  readonly path: string;
  /** The first `Host` header value, or `null`/`undefined` when absent. */
  readonly host: string | null | undefined;
  /** Every `Host` header line as sent, when known (Node's `rawHeaders`); more than one is malformed. */
  readonly hostHeaders?: readonly string[];
  /** The raw `X-Forwarded-Host` value (all lines joined by `, `), when present. */
  readonly forwardedHost?: string;
  /** HTTP/2 `:authority`, when present. */
  readonly authority?: string;
  /**
   * The request target as sent, when it is not in origin form: absolute form (`http://example.com/x`),
   * or for `CONNECT` the authority form (`example.com:443`). Its authority is checked too.
   */
  readonly requestTarget?: string;
  /** The connection's peer address (`req.socket.remoteAddress`), needed when trusted proxies are a list. */
  readonly peerAddress?: string;
  /**
   * Whether the app's framework believes `X-Forwarded-Host` from this peer (Express's `trust proxy`,
   * Fastify's `trustProxy`), as the HTTP layer found out: then it is checked whatever the matcher's
   * own `trustProxy` says, since the app will read it as `req.hostname` (spec rule 3). @default false
   */
  readonly forwardedHostTrusted?: boolean;
  /**
   * Whether the request's header lines reached the server's limit (Node's `maxHeadersCount`), past
   * which the parser drops lines unseen: a second `Host` could be among them, so the request is
   * malformed (spec rule 4). @default false
   */
  readonly headerLimitReached?: boolean;
}

/** The matcher's answer. Rejections carry the text a log line and a response need. */
export interface HostDecision {
  readonly kind: HostDecisionKind;
  /**
   * For `allow`: the checked host the app may use to build absolute URLs (normalised: lower case,
   * no trailing dot, port kept when sent). For a trusted proxy, the first `X-Forwarded-Host` entry.
   */
  readonly host?: string;
  /** For rejections: the offending value as received (the caller truncates and escapes it). */
  readonly value?: string;
  /** For rejections: which rule failed, in words (`character '/' not allowed`). */
  readonly reason?: string;
  /** For rejections: what the operator should do (`add 'x' to the allowed hosts`). */
  readonly fix?: string;
  /** For rejections: which value of the request `value` is (`Host`, `X-Forwarded-Host`, ...). */
  readonly source?: HostValueSource;
}
