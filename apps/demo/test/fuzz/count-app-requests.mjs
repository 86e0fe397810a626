// Preloaded into the built demo by the fuzz test (`node --expose-gc --import <this> dist/main.js`):
// counts, from inside the app's process, every request that reaches app code, and answers the test
// over the IPC channel. The demo itself is not changed.
//
// Where it counts: Express's `app.handle`, the function the HTTP server's request listener calls.
// It runs before the first `app.use()` middleware, body parser, router, guard or controller, so a
// request not counted here was seen by no app code at all. `express.application` is the prototype
// each Express app copies its methods from when it is created, so patching it before main.js runs
// covers the app Nest creates.
import express from 'express';
import { getCheckedHost } from '@upgate/health';

/** Ids (X-Fuzz-Id) of the requests that reached app code: a fixed-size bitmap, so that counting allocates nothing per request. */
const MAX_ID = 1 << 22;
const reachedIds = new Uint8Array(MAX_ID / 8);
const counts = {
  /** Requests that reached app code. */
  reached: 0,
  /** Of those: without a usable X-Fuzz-Id (the test sends one on every request). */
  withoutId: 0,
  /** Of those: with no host checked by the early layer (it must have allowed each one). */
  unchecked: 0,
  /** Ids seen more than once (a request reaching the app twice). */
  repeated: 0,
};

const handle = express.application.handle;
if (typeof handle !== 'function') throw new Error('count-app-requests: express.application.handle is not a function; the Express version changed');
express.application.handle = function countedHandle(req, res, next) {
  counts.reached++;
  const raw = req.headers['x-fuzz-id'];
  const id = typeof raw === 'string' && /^\d{1,7}$/.test(raw) ? Number(raw) : -1;
  if (id < 0 || id >= MAX_ID) counts.withoutId++;
  else {
    const bit = 1 << (id & 7);
    if (reachedIds[id >> 3] & bit) counts.repeated++;
    reachedIds[id >> 3] |= bit;
  }
  if (getCheckedHost(req) === undefined) counts.unchecked++;
  return handle.call(this, req, res, next);
};

process.on('message', (message) => {
  if (message?.type !== 'stats') return;
  if (message.gc && typeof globalThis.gc === 'function') {
    // Twice: the first pass may only finalise what the second frees.
    globalThis.gc();
    globalThis.gc();
  }
  const memory = process.memoryUsage();
  process.send?.({
    type: 'stats',
    counts,
    reachedIds: message.ids ? Buffer.from(reachedIds.buffer).toString('base64') : undefined,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    gcExposed: typeof globalThis.gc === 'function',
  });
});
// The channel must not keep the demo alive once it has shut down.
process.channel?.unref();
