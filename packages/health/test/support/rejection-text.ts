import { DISALLOWED_HOST_MESSAGE } from '../../src/index.js';

/**
 * The text body of a disallowed host's rejection when the request looks like a platform's health
 * check (a container id or an IP address with a port as its Host, a prober's User-Agent): the
 * plain message, then one sentence naming the prober and the fix (test/e2e-prober-hints.spec.ts
 * asserts each sentence whole).
 */
export function disallowedWithProberHint(status = 'Bad Request'): RegExp {
  const plain = `${status}: ${DISALLOWED_HOST_MESSAGE}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${plain} This looks like (?:kamal-proxy's|a platform) health check[^\\n]*\\.\\n$`);
}

/** Whether the gates take a request with this Host for a health check (what kamal-proxy sends, a container id). */
export function isContainerIdHost(host: string | null | undefined): boolean {
  return typeof host === 'string' && /^[0-9a-f]{12}(?::\d{1,5})?$/.test(host);
}
