import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getCheckedHost } from './checked-host.js';

/**
 * The checked host of the current HTTP request (see `getCheckedHost`), for building absolute URLs:
 * `reset(@CheckedHost() host: string) { return `https://${host}/reset/${token}`; }`.
 *
 * Always a string: every HTTP request that reaches a route has passed a gate (the server gate of a
 * server, or the framework gate, the first handler of Express or Fastify, which also decides
 * `inject()` and serverless calls), and a gate lets a request through only with its checked host.
 * Where there is none, the decorator throws rather than hand the route `undefined` (which would make
 * `https://undefined/reset/...`): the app does not import `HealthModule`, or the handler is not an
 * HTTP route (a WebSocket or microservice handler; use `getCheckedHost(request)` on the upgrade
 * request there). The error goes through the app's exception filters (a 500).
 */
export const CheckedHost = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const host = getCheckedHost(context.switchToHttp().getRequest<object>());
  if (host !== undefined) return host;
  throw new Error(
    context.getType() === 'http'
      ? `upgate: @CheckedHost() on ${context.getClass().name}.${context.getHandler().name}() found no checked host: no upgate gate decided this request; import HealthModule.forRoot() in the root module`
      : `upgate: @CheckedHost() on ${context.getClass().name}.${context.getHandler().name}() is for HTTP routes; this is a '${context.getType()}' handler (use getCheckedHost() on the upgrade request)`,
  );
});
