// The part of autocannon's programmatic API the rehearsal uses (autocannon ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    /** The TLS server name (SNI) for an https URL; autocannon does not verify the certificate. */
    servername?: string;
  }

  interface Histogram {
    /** Completed requests (in `requests`). */
    total: number;
    /** Requests written, completed or not (in `requests`). */
    sent: number;
  }

  interface Result {
    requests: Histogram;
    /** Connection errors and timeouts. */
    errors: number;
    timeouts: number;
    resets: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    duration: number;
  }

  interface Instance extends EventEmitter {
    stop(): void;
  }

  function autocannon(options: Options, done: (error: Error | null, result: Result) => void): Instance;
  export default autocannon;
  export type { Instance, Options, Result };
}
