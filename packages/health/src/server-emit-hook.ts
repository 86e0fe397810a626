import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { NodeRequest, NodeResponse } from './node-request.js';

/** What the hook asks for each request; `true` means "answered here, the app must not see it". */
export interface EarlyRequestHandler {
  handleRequest(req: NodeRequest, res: NodeResponse): boolean;
  handleUpgrade(req: NodeRequest, socket: Duplex, head: Buffer): boolean;
}

type HookableServer = EventEmitter & { requireHostHeader?: boolean; [INSTALLED]?: true };

const INSTALLED = Symbol.for('upgate.early-request-layer');

/**
 * Puts `handler` in front of every `request`, `checkContinue`, `checkExpectation` and `upgrade`
 * event of `server`, and returns the function that takes it away again.
 *
 * Why wrap `emit` rather than reorder the listeners: the node server delivers these events with
 * `server.emit(...)`, so an own `emit` sees each one before any listener, whatever the listeners'
 * order and whenever they were added. Listeners added after us (a WebSocket adapter's `upgrade`
 * listener, a `checkContinue` listener, supertest's or a test's own) are covered without watching
 * `newListener`; moving listeners behind a wrapper would have to, and would hand the app
 * wrapper functions where it expects its own in `listeners()` / `off()`. The cost is one comparison
 * per server event.
 *
 * Node's own 400 for an HTTP/1.1 request without Host (`requireHostHeader`) is turned off while the
 * layer is installed: the layer rejects those itself (spec rule 3: missing Host is malformed), except
 * on a probe path, which an HTTP/1.1 checker without Host must still reach (spec rule 5).
 */
export function hookServerEmit(server: HookableServer, handler: EarlyRequestHandler): () => void {
  if (server[INSTALLED]) {
    throw new Error(
      'upgate: the early request layer is already installed on this HTTP server; import HealthModule.forRoot() or forRootAsync() once, in the root module',
    );
  }
  const hadOwnEmit = Object.prototype.hasOwnProperty.call(server, 'emit');
  const originalEmit = server.emit;
  const hadRequireHostHeader = server.requireHostHeader;
  let active = true;

  function emitThroughUpgate(this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
    if (active) {
      if (event === 'request' || event === 'checkContinue' || event === 'checkExpectation') {
        if (handler.handleRequest(args[0] as NodeRequest, args[1] as NodeResponse)) return true;
      } else if (event === 'upgrade') {
        if (handler.handleUpgrade(args[0] as NodeRequest, args[1] as Duplex, args[2] as Buffer)) return true;
      }
    }
    return originalEmit.call(this, event, ...args);
  }

  server.emit = emitThroughUpgate;
  server[INSTALLED] = true;
  if (hadRequireHostHeader !== undefined) server.requireHostHeader = false;

  return () => {
    active = false;
    delete server[INSTALLED];
    if (hadRequireHostHeader !== undefined) server.requireHostHeader = hadRequireHostHeader;
    // Someone may have wrapped `emit` after us; then ours stays in their chain, inert.
    if (server.emit === emitThroughUpgate) {
      if (hadOwnEmit) server.emit = originalEmit;
      else delete (server as Partial<HookableServer>).emit;
    }
  };
}
