import { HttpException } from '@nestjs/common';
import type { HostRejection } from './host-rejection.js';

/**
 * Thrown by `HostGuard` for a host outside a route's `@AllowHosts()` list: the same status and
 * message as the gates' rejection. Being an `HttpException`, it goes through the
 * app's exception filters like any guard's refusal (the built-in filter answers
 * `{"statusCode":400,"message":"Bad Request: host not allowed: ..."}`).
 */
export class HostRejectedException extends HttpException {
  constructor(readonly rejection: HostRejection) {
    super(rejection.body.trimEnd(), rejection.status);
  }
}
