import type { EventEmitter } from 'node:events';

/**
 * Fastify's `listen()` on `localhost` (its default host, and what `app.listen(3000)` gives on the
 * Fastify adapter) binds the first address `localhost` resolves to on its main server, then starts
 * a second `http.Server` for each other address (`::1` beside `127.0.0.1`), with its request
 * handler attached directly. A server gate on the main server alone would leave every request that
 * comes in over `[::1]` to the framework gate: host-checked, but after Node has answered its
 * `Expect: 100-continue`, and its probes through Fastify.
 *
 * Fastify keeps those servers in an array under the symbol `fastify.serverBindings`, and pushes
 * each one there from its `listening` callback: before Node can have handed it a connection, let
 * alone a request (connections are accepted in a later phase of the event loop than that callback).
 * So `onServer` is called for each of them from that array's `push`. Returns the function that
 * undoes this, or `undefined` when `instance` is not a Fastify instance.
 */
export function watchFastifyExtraBindings(
  instance: unknown,
  onServer: (server: EventEmitter) => void,
): { readonly found: boolean; readonly stop: () => void } | undefined {
  if (!isFastifyInstance(instance)) return undefined;
  const symbol = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.serverBindings');
  const bindings = symbol === undefined ? undefined : (instance as Record<symbol, unknown>)[symbol];
  if (!Array.isArray(bindings)) return { found: false, stop: () => undefined };

  for (const server of bindings) onServer(server as EventEmitter);
  const push = bindings.push;
  bindings.push = function pushWatched(this: unknown[], ...servers: unknown[]): number {
    for (const server of servers) onServer(server as EventEmitter);
    return push.apply(this, servers);
  };
  return {
    found: true,
    stop: () => {
      if (Object.prototype.hasOwnProperty.call(bindings, 'push')) delete (bindings as { push?: unknown }).push;
    },
  };
}

function isFastifyInstance(instance: unknown): instance is object {
  if (typeof instance !== 'object' && typeof instance !== 'function') return false;
  if (instance === null) return false;
  const candidate = instance as { addHook?: unknown; server?: unknown; register?: unknown };
  return (
    typeof candidate.addHook === 'function' &&
    typeof candidate.register === 'function' &&
    typeof candidate.server === 'object'
  );
}
