import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getCheckedHost } from './checked-host.js';

/**
 * The checked host of the current HTTP request (see `getCheckedHost`), for building absolute URLs:
 * `reset(@CheckedHost() host: string) { return `https://${host}/reset/${token}`; }`.
 */
export const CheckedHost = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined =>
  getCheckedHost(context.switchToHttp().getRequest<object>()),
);
