import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ALLOW_HOSTS_METADATA } from '../health.constants.js';
import { HostRejectedException } from './host-rejected.exception.js';
import { HostGate } from './host-gate.js';
import { HostMatcherRegistry } from './host-matcher-registry.js';
import { splitRequestTarget } from './host-request.js';
import { toNodeRequest } from './node-request.js';

/**
 * Enforces `@AllowHosts()` lists: a route (or controller) with one answers only for those hosts,
 * with the same matcher code, request reading, status, message and log deduplication as the gates.
 * Routes without `@AllowHosts()` pass, so it may also be registered globally (`APP_GUARD`).
 */
@Injectable()
export class HostGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: HostMatcherRegistry,
    private readonly gate: HostGate,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const controller = context.getClass();
    const entries = this.reflector.getAllAndOverride<readonly string[] | undefined>(ALLOW_HOSTS_METADATA, [
      handler,
      controller,
    ]);
    if (entries === undefined) return true;
    const owner = `${controller.name}.${handler.name}()`;
    if (context.getType() !== 'http') {
      throw new Error(
        `upgate: @AllowHosts() on ${owner} applies to HTTP routes only; this is a '${context.getType()}' handler`,
      );
    }
    const request = toNodeRequest(context.switchToHttp().getRequest<object>());
    if (request === undefined) {
      throw new Error(
        `upgate: HostGuard on ${owner} found no node HTTP request to check (neither an Express nor a Fastify request)`,
      );
    }
    const url = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '';
    const { path, requestTarget } = splitRequestTarget(url);
    const decision = this.registry
      .matcherFor(entries, owner)
      .decideHost(this.gate.hostRequest(request, path, requestTarget));
    if (decision.kind === 'allow') return true;
    throw new HostRejectedException(this.gate.reject(decision, request, path));
  }
}
