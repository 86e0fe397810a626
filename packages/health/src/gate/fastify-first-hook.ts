/** A Fastify `onRequest` hook in callback style. */
export type FastifyOnRequest = (request: unknown, reply: unknown, done: (error?: Error) => void) => void;

type Context = Record<symbol, unknown>;

/**
 * Puts `hook` first among the `onRequest` hooks of the Fastify instance and of every plugin context
 * under it, ahead of those registered before it: Nest's own and middie's (which runs `app.use()`
 * middleware), `@fastify/cors`, helmet, a `main.ts` hook. `onRequest` is the first stage of Fastify's
 * request lifecycle that any code can join, and it runs for every request that Fastify routes,
 * whether from a server, `inject()` (Fastify's tests, aws-lambda-fastify) or `routing()`, for a route
 * as for the 404 handler.
 *
 * Fastify has no API for "first", and `addHook()` appends (deferred to the plugin queue). Each
 * context keeps its hooks in arrays under the symbol `fastify.hooks`; a route takes its context's
 * `onRequest` array when the instance gets ready, and a plugin context created later starts with a
 * copy of its parent's. So the hook goes to the front of the root's array and of every context that
 * exists already (a plugin awaited in `main.ts`), which must happen before the instance is ready.
 *
 * Fastify itself runs a little before any hook: the request id (the app's `genReqId`, if it gave
 * one), the request log line and `rewriteUrl`. No route, hook, middleware or handler of the app.
 * @throws Error when the hooks are not where this Fastify version was known to keep them, or when
 * the instance is ready already (its routes then hold their hooks already).
 */
export function putFirstInFastify(instance: unknown, hook: FastifyOnRequest): { remove(): void } {
  const root = instance as Context;
  const kHooks = symbolOf(root, 'fastify.hooks');
  const kChildren = symbolOf(root, 'fastify.children');
  const kState = symbolOf(root, 'fastify.state');
  if (kHooks === undefined || kChildren === undefined || !Array.isArray(onRequestOf(root, kHooks))) {
    throw new Error(
      'upgate: cannot put the host check first in Fastify (this Fastify version keeps its hooks elsewhere), so requests that reach Fastify without passing a gated server (inject(), serverless handlers, servers the app makes itself) would go unchecked; use a Fastify version @upgate/health supports (5.x)',
    );
  }
  if (kState !== undefined && (root[kState] as { started?: boolean } | undefined)?.started === true) {
    throw new Error(
      "upgate: the Fastify instance was ready before the app initialised (ready(), listen() or inject() called on it before app.init()), so its routes' hooks are fixed and the host check cannot go first; leave starting it to app.listen() or app.init()",
    );
  }
  const contexts: Context[] = [];
  const visit = (context: Context): void => {
    contexts.push(context);
    const hooks = onRequestOf(context, kHooks);
    if (Array.isArray(hooks) && !hooks.includes(hook)) hooks.unshift(hook);
    const children = context[kChildren];
    if (Array.isArray(children)) for (const child of children) visit(child as Context);
  };
  visit(root);
  return {
    remove: () => {
      for (const context of contexts) {
        const hooks = onRequestOf(context, kHooks);
        const at = Array.isArray(hooks) ? hooks.indexOf(hook) : -1;
        if (at !== -1) hooks?.splice(at, 1);
      }
    },
  };
}

function symbolOf(instance: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(instance).find((s) => s.description === description);
}

function onRequestOf(context: Context, kHooks: symbol): unknown[] | undefined {
  return (context[kHooks] as { onRequest?: unknown[] } | undefined)?.onRequest;
}
