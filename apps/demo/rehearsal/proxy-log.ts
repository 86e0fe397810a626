/**
 * kamal-proxy's log (JSON lines from `log/slog`), read for what the rehearsal checks: the requests it
 * proxied to each target, its health checks, and its proxying errors.
 */

export interface ProxyLogEntry {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export function parseProxyLog(text: string): ProxyLogEntry[] {
  const entries: ProxyLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      entries.push({ ...entry, time: Date.parse(String(entry['time'])), msg: String(entry['msg']) });
    } catch {
      // A line cut by a read in progress: the next read has it whole.
    }
  }
  return entries;
}

/** `<id>:<port>`, as kamal-proxy names a target in its log. */
export function targetOf(entry: ProxyLogEntry): string | undefined {
  const target = entry['target'] ?? entry['url'];
  return typeof target === 'string' ? target.replace(/^http:\/\//, '').replace(/\/.*$/, '') : undefined;
}

/** The requests kamal-proxy proxied to `target`: how many, and the time of the first. */
export function requestsTo(entries: readonly ProxyLogEntry[], target: string): { count: number; first?: number } {
  const requests = entries.filter((entry) => entry.msg === 'Request' && entry['target'] === target);
  return { count: requests.length, ...(requests[0] ? { first: requests[0].time } : {}) };
}

/** When kamal-proxy first marked `target` healthy. */
export function healthyAt(entries: readonly ProxyLogEntry[], target: string): number | undefined {
  return entries.find(
    (entry) => entry.msg === 'Target health updated' && entry['target'] === target && entry['state'] === 'healthy',
  )?.time;
}

/** The lines about `target`'s health checks, as kamal-proxy wrote them (failures and state changes). */
export function healthCheckLines(entries: readonly ProxyLogEntry[], target: string): string[] {
  const shown = (entry: ProxyLogEntry): string =>
    [
      entry.msg,
      ...Object.entries(entry)
        .filter(([key]) => !['time', 'level', 'msg'].includes(key))
        .map(([key, value]) => `${key}=${String(value)}`),
    ].join(' ');
  return entries
    .filter(
      (entry) =>
        (entry.msg === 'Healthcheck failed' || entry.msg === 'Target health updated') && targetOf(entry) === target,
    )
    .map(shown);
}
