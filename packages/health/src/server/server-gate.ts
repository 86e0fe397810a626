import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { NodeRequest, NodeResponse } from '../gate/node-request.js';

/** The decision the server gate asks for each event (`HostGate`); `true`: answered, the app must not see it. */
export interface RequestGate {
  handleRequest(req: NodeRequest, res: NodeResponse): boolean;
  handleUpgrade(req: NodeRequest, socket: Duplex): boolean;
}

type GatableServer = EventEmitter & { requireHostHeader?: boolean; [GATED_BY]?: RequestGate };

const GATED_BY = Symbol.for('upgate.server-gate');

/**
 * The server gate: puts `gate` in front of every event of `server` that carries a request
 * (docs/host-rules.md, rule 6): `request`, `checkContinue`, `checkExpectation`, `upgrade` and
 * `connect` (HTTP/1: a socket to take over, decided like an upgrade; HTTP/2: a request with a
 * response). Returns the function that takes it away again.
 *
 * Why wrap `emit` rather than reorder the listeners: the node server delivers these events with
 * `server.emit(...)`, so an own `emit` sees each one before any listener, whatever the listeners'
 * order and whenever they were added. Listeners added after us (a WebSocket adapter's `upgrade`
 * listener, socket.io's `request` listener, a `checkContinue` listener, supertest's or a test's
 * own) are covered without watching `newListener`; moving listeners behind a wrapper would have to,
 * and would hand the app wrapper functions where it expects its own in `listeners()` / `off()`.
 * The cost is one comparison per server event.
 *
 * Node's own 400 for an HTTP/1.1 request without Host (`requireHostHeader`) is turned off while the
 * gate is installed: the gate rejects those itself (rule 3: missing Host is malformed), except on a
 * probe path, which an HTTP/1.1 checker without Host must still reach (rule 5).
 *
 * `Expect: 100-continue` (rule 4: no `100 Continue` invites a rejected request's body): Node writes
 * `100 Continue` itself, and then emits `request`, when the server has no `checkContinue` listener;
 * only with one does it emit `checkContinue` first. So the gate adds one, which makes every such
 * request an event the gate decides; when it is the server's only `checkContinue` listener, it does
 * what Node would have done (`writeContinue()`, then `request`), so an allowed request behaves
 * exactly as before, and an app's own listener still runs alone.
 * @throws Error when another `HealthModule` gates this server already.
 */
export function gateServer(server: GatableServer, gate: RequestGate): () => void {
  const gatedBy = server[GATED_BY];
  if (gatedBy === gate) return () => undefined;
  if (gatedBy !== undefined) {
    throw new Error(
      'upgate: this HTTP server is gated by another HealthModule already; import HealthModule.forRoot() or forRootAsync() once, in the root module',
    );
  }
  const hadOwnEmit = Object.prototype.hasOwnProperty.call(server, 'emit');
  const originalEmit = server.emit;
  const hadRequireHostHeader = server.requireHostHeader;
  let active = true;

  // No rest parameter: it would allocate an array for every event the server emits. The gated events
  // carry two arguments; whatever an event carries goes on to the listeners as it came (`arguments`,
  // which `apply` hands over without copying).
  function emitThroughGate(this: EventEmitter, event: string | symbol, first?: unknown, second?: unknown): boolean {
    if (active) {
      if (event === 'request' || event === 'checkContinue' || event === 'checkExpectation') {
        if (gate.handleRequest(first as NodeRequest, second as NodeResponse)) return true;
      } else if (event === 'upgrade') {
        if (gate.handleUpgrade(first as NodeRequest, second as Duplex)) return true;
      } else if (event === 'connect') {
        const req = first as NodeRequest;
        const answered =
          req.httpVersionMajor === 2
            ? gate.handleRequest(req, second as NodeResponse)
            : gate.handleUpgrade(req, second as Duplex);
        if (answered) return true;
      }
    }
    // eslint-disable-next-line prefer-rest-params
    return originalEmit.apply(this, arguments as unknown as Parameters<EventEmitter['emit']>);
  }

  function continueAsNodeWould(this: EventEmitter, req: NodeRequest, res: NodeResponse): void {
    if (!active || this.listenerCount('checkContinue') !== 1) return;
    res.writeContinue();
    // Past the gate already: straight to the listeners, as Node's own emit would.
    originalEmit.call(this, 'request', req, res);
  }

  server.emit = emitThroughGate;
  server[GATED_BY] = gate;
  server.on('checkContinue', continueAsNodeWould);
  if (hadRequireHostHeader !== undefined) server.requireHostHeader = false;

  return () => {
    active = false;
    delete server[GATED_BY];
    server.off('checkContinue', continueAsNodeWould);
    if (hadRequireHostHeader !== undefined) server.requireHostHeader = hadRequireHostHeader;
    // Someone may have wrapped `emit` after us; then ours stays in their chain, inert.
    if (server.emit === emitThroughGate) {
      if (hadOwnEmit) server.emit = originalEmit;
      else delete (server as Partial<GatableServer>).emit;
    }
  };
}
