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
if (typeof handle !== 'function')
  throw new Error('count-app-requests: express.application.handle is not a function; the Express version changed');
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

process.on('message', async (message) => {
  if (message?.type !== 'stats') return;
  let memory = process.memoryUsage();
  if (message.gc && typeof globalThis.gc === 'function') {
    // RSS right after a collection still counts pages the allocators are about to hand back: take
    // the lowest of a few readings, each after two full collections and a short pause.
    for (let i = 0; i < 3; i++) {
      globalThis.gc();
      globalThis.gc();
      await new Promise((done) => setTimeout(done, 100));
      const reading = process.memoryUsage();
      if (i === 0 || reading.rss < memory.rss) memory = reading;
    }
  }
  process.send?.({
    type: 'stats',
    counts,
    reachedIds: message.ids ? Buffer.from(reachedIds.buffer).toString('base64') : undefined,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    gcExposed: typeof globalThis.gc === 'function',
  });
});
// The channel must not keep the demo alive once it has shut down.
process.channel?.unref();
