/**
 * What runs in front of Express's router for each request: `true` means answered, the router must
 * not see the request; `false`, on to the router as if nothing ran.
 */
export type ExpressFront = (req: unknown, res: unknown) => boolean;

type RouterHandle = (this: unknown, req: unknown, res: unknown, callback: unknown) => unknown;

interface ExpressRouter {
  handle?: unknown;
  stack?: unknown;
}

/**
 * Puts `front` in front of the Express app's router, ahead of every layer it has or will have:
 * Nest's own, `app.use()` middleware from `main.ts`, body parsers, static files, Nest middleware,
 * routes, and a layer another module moves to the front of the stack. Express 5 runs an app's layers
 * from `app.router.handle()`, which every way into the app calls: a server's request listener and a
 * serverless handler (`app(req, res)` -> `app.handle()`), a parent app the Nest app is mounted in
 * (`parent.use(app)` -> `app.handle()`), and the router itself mounted elsewhere
 * (`parent.use(app.router)`). Each of them looks `handle` up on the router at call time, so an own
 * `handle` on the router instance is the entry of all of them.
 *
 * Why not a router layer first in the stack: a layer costs every request the router's layer
 * machinery (its path match, `next()`, the bookkeeping of `req.url` and `req.params`) even when the
 * server gate has decided the request already; in front, such a request costs one function call and
 * the check `front` makes. And no other layer can get ahead of it by reordering the stack.
 *
 * Returns `stillFirst()` and `moveFirst()`, to check and restore the place once the app's other
 * modules have started (another module may have wrapped `handle` in turn), and `remove()`.
 * @throws Error when the app has no router where Express 5 keeps it.
 */
export function putInFrontOfExpress(
  app: unknown,
  front: ExpressFront,
): { stillFirst(): boolean; moveFirst(): void; remove(): void } {
  const router = (app as { router?: ExpressRouter } | null | undefined)?.router;
  if (typeof router?.handle !== 'function' || !Array.isArray(router.stack)) throw unsupported();
  const installed: { readonly handle: RouterHandle; readonly inner: RouterHandle; readonly hadOwn: boolean }[] = [];

  const moveFirst = (): void => {
    const inner = router.handle as RouterHandle;
    const hadOwn = Object.prototype.hasOwnProperty.call(router, 'handle');
    const handle: RouterHandle = function handleBehindHostCheck(this: unknown, req, res, callback) {
      if (front(req, res)) return undefined;
      return inner.call(this, req, res, callback);
    };
    router.handle = handle;
    installed.push({ handle, inner, hadOwn });
  };
  moveFirst();
  return {
    stillFirst: () => router.handle === installed[installed.length - 1]?.handle,
    moveFirst,
    remove: () => {
      // Ours come off while they are on top; one that another wrapper calls stays in its chain, and
      // `front` passes everything on once the gate is shut down.
      while (installed.length > 0 && router.handle === installed[installed.length - 1].handle) {
        const { inner, hadOwn } = installed.pop() as (typeof installed)[number];
        if (hadOwn) router.handle = inner;
        else delete router.handle;
      }
    },
  };
}

function unsupported(): Error {
  return new Error(
    'upgate: cannot put the host check in front of Express (the app has no router where Express 5 keeps it), so requests that reach Express without passing a gated server (serverless handlers, servers the app makes itself) would go unchecked; use the Express version @nestjs/platform-express brings (5.x)',
  );
}
