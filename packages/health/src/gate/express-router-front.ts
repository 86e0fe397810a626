/** What a request handler of Express looks like to the router. */
export type ExpressHandler = (req: unknown, res: unknown, next: (error?: unknown) => void) => void;

interface ExpressLayer {
  handle?: unknown;
}

interface ExpressApp {
  use(handler: ExpressHandler): unknown;
  router?: { stack?: ExpressLayer[] };
}

/**
 * Puts `handler` first in the Express app's router, ahead of every layer registered before it:
 * Nest's own (its adapter registers one in its constructor), `app.use()` middleware from `main.ts`,
 * body parsers, static files, Nest middleware, routes. Express 5 runs an app's layers in the order of
 * `app.router.stack`, from `app.handle()`, the function that both a server's request listener and a
 * serverless handler call; layers registered later are pushed behind it. Express has no API for
 * "first", so the layer `app.use()` made is moved to the front of the stack.
 *
 * Returns `stillFirst()` and `moveFirst()`, to check and restore the place once the app's other
 * modules have started, and `remove()`.
 * @throws Error when the app has no router stack to put it in (not Express 5).
 */
export function putFirstInExpress(
  app: unknown,
  handler: ExpressHandler,
): { stillFirst(): boolean; moveFirst(): void; remove(): void } {
  const express = app as ExpressApp;
  if (typeof express?.use !== 'function') throw unsupported();
  express.use(handler);
  const stack = express.router?.stack;
  if (!Array.isArray(stack)) throw unsupported();
  const moveFirst = (): void => {
    const at = stack.findIndex((layer) => layer.handle === handler);
    if (at > 0) stack.unshift(...stack.splice(at, 1));
  };
  moveFirst();
  if (stack[0]?.handle !== handler) throw unsupported();
  return {
    stillFirst: () => stack[0]?.handle === handler,
    moveFirst,
    remove: () => {
      const at = stack.findIndex((layer) => layer.handle === handler);
      if (at !== -1) stack.splice(at, 1);
    },
  };
}

function unsupported(): Error {
  return new Error(
    'upgate: cannot put the host check first in Express (the app has no router stack where Express 5 keeps it), so requests that reach Express without passing a gated server (serverless handlers, servers the app makes itself) would go unchecked; use the Express version @nestjs/platform-express brings (5.x)',
  );
}
