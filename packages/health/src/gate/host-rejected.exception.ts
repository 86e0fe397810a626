import { HttpException } from '@nestjs/common';
import type { HostRejection } from './host-rejection.js';

/**
 * Thrown by `HostGuard` for a host outside a route's `@AllowHosts()` list. Being an
 * `HttpException`, it goes through the app's exception filters like any guard's refusal. Its
 * response follows the `rejectionResponse` option: with `'text'` (the default) the message, which
 * Nest's built-in filter answers as `{"statusCode":400,"message":"Bad Request: host not allowed
 * (not in this route's allowed hosts)."}`; with `'json'` and `'problem+json'` the body the gates
 * send, as an object (the built-in filter sends it as `application/json`); with a function, its
 * body (parsed when its `Content-Type` is JSON). `rejection` has the whole response (status,
 * headers, body) for a filter that sends it as the gates do.
 */
export class HostRejectedException extends HttpException {
  constructor(readonly rejection: HostRejection) {
    super(rejection.exceptionResponse, rejection.status);
    // HttpException makes a message of an object response only when it has a `message` field.
    this.message = rejection.message;
  }
}
