import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { UpgateSettings } from '@upgate/config';
import { ALLOW_HOSTS_METADATA, HEALTH_SETTINGS } from './health.constants.js';
import { escapeForLog, toRejection } from './host-rejection.js';
import { HostRejectedException } from './host-rejected.exception.js';
import { HostMatcherRegistry } from './host-matcher-registry.js';
import { splitRequestTarget, toHostRequest } from './host-request.js';
import { toNodeRequest } from './node-request.js';
import { RejectionLog } from './rejection-log.js';

/**
 * Enforces `@AllowHosts()` lists: a route (or controller) with one answers only for those hosts,
 * with the same matcher code, status, message and log deduplication as the early request layer.
 * Routes without `@AllowHosts()` pass, so it may also be registered globally (`APP_GUARD`).
 */
@Injectable()
export class HostGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: HostMatcherRegistry,
    private readonly rejections: RejectionLog,
    @Inject(HEALTH_SETTINGS) private readonly settings: UpgateSettings,
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
      .decideHost(toHostRequest(request, path, requestTarget, Array.isArray(this.settings.trustProxy)));
    if (decision.kind === 'allow') return true;
    const rejection = toRejection(decision, this.settings.rejectStatus);
    this.rejections.report(
      rejection,
      () =>
        `${escapeForLog(request.method ?? '', 16)} ${escapeForLog(path)} from ${request.socket?.remoteAddress ?? 'unknown peer'}`,
    );
    throw new HostRejectedException(rejection);
  }
}
