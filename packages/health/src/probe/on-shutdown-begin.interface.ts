/**
 * Implemented by a provider or controller that wants to know when shutdown begins: the moment the
 * probes turn 503 (`app.close()`, or SIGTERM under `app.enableShutdownHooks()`), before Nest's
 * `onModuleDestroy` and `beforeApplicationShutdown` hooks and while the app still serves for
 * `shutdownDelayMs`. Stop taking new long-running work here (a queue consumer, a scheduler); the
 * drain of connections starts once the delay has passed and every `onShutdownBegin()` has settled.
 * A hook that throws is logged and does not stop the shutdown.
 *
 * Release what in-flight requests still use (a database pool) in `onApplicationShutdown`, which
 * Nest calls after the HTTP server has closed, not in `onModuleDestroy` or
 * `beforeApplicationShutdown`, which it calls while those requests may still run.
 */
export interface OnShutdownBegin {
  onShutdownBegin(): void | Promise<void>;
}
