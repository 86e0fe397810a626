import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ALLOW_HOSTS_METADATA } from '../health.constants.js';
import { HostGuard } from './host.guard.js';

/**
 * Narrows the hosts a controller or a route answers for, below the app-wide allowlist: an admin
 * API only on `admin.example.com`. Entries take the allowlist's forms (`admin.example.com`,
 * `.example.com`, `*.example.com`, `10.0.0.0/8`, ...), are checked when the app starts, and a route's
 * list replaces its controller's.
 *
 * It applies `HostGuard` itself, so the narrowing cannot be lost by forgetting `@UseGuards`;
 * registering `HostGuard` globally as well does no harm (routes without `@AllowHosts` pass it).
 * The request must also pass the app-wide allowlist, which the gates enforce first.
 */
export function AllowHosts(...entries: string[]): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(ALLOW_HOSTS_METADATA, Object.freeze([...entries])), UseGuards(HostGuard));
}
