import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FrameworkTrust } from './host-request.js';
import type { NodeRequest } from './node-request.js';

/**
 * The app's framework's own trust in `X-Forwarded-Host`, asked per request so that the gates check
 * the header whenever the framework would believe it (docs/host-rules.md, rule 3): `req.hostname`
 * (Express) and `request.hostname` (Fastify) are computed from it, and apps set the framework's
 * trust for `req.ip` and `req.protocol` without a thought for the host. upgate's `trustProxy` still
 * adds trust of its own; this only widens what is checked, never what is believed.
 *
 * Each framework is asked exactly as it asks itself, so that a setting changed in `main.ts` (after
 * the module started) or a trust function of the app's own is followed:
 * - Express 4 and 5: `req.host` calls `app.get('trust proxy fn')(req.socket.remoteAddress, 0)`,
 *   the function Express compiles from `app.set('trust proxy', ...)`. It is looked up per request.
 * - Fastify: `trustProxy` is compiled once, inside the closure that defines the `host` getter of
 *   its request class (no public API reads it). That getter is run on a request made for the
 *   question: the peer's socket, `Host: h.invalid` and `X-Forwarded-Host: x.invalid`; when it
 *   answers the second, Fastify believes the header from that peer. So whatever the Fastify
 *   version and its rule (a list, a hop count, a function of the app's), the answer is Fastify's own.
 */
@Injectable()
export class ForwardedHostTrust {
  /** Undefined without an HTTP adapter (a standalone application) or for another framework. */
  readonly trusts: FrameworkTrust | undefined;

  constructor(adapterHost: HttpAdapterHost) {
    const adapter = adapterHost.httpAdapter as { getType?: () => string; getInstance?: () => unknown } | undefined;
    const instance = adapter?.getInstance?.();
    switch (adapter?.getType?.()) {
      case 'express':
        this.trusts = expressTrust(instance as ExpressApp);
        break;
      case 'fastify':
        this.trusts = fastifyTrust(instance as object);
        break;
      default:
        this.trusts = undefined;
    }
  }
}

type ExpressApp = { get(setting: string): unknown };
type TrustFunction = (address: string | undefined, hop: number) => boolean;

function expressTrust(app: ExpressApp): FrameworkTrust {
  return (req) => {
    const trust = app.get('trust proxy fn') as TrustFunction | undefined;
    return typeof trust === 'function' && trust(req.socket?.remoteAddress, 0) === true;
  };
}

const PLAIN_HOST = 'h.invalid';
const FORWARDED_HOST = 'x.invalid';

function fastifyTrust(instance: object): FrameworkTrust {
  const symbol = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.Request');
  const requestClass = symbol === undefined ? undefined : (instance as Record<symbol, unknown>)[symbol];
  const prototype = (requestClass as { prototype?: object } | undefined)?.prototype;
  const host = prototype === undefined ? undefined : getterOf(prototype, 'host');
  if (prototype === undefined || host === undefined) {
    throw new Error(
      "upgate: cannot read Fastify's trustProxy (this Fastify version keeps its request class elsewhere), so X-Forwarded-Host, which request.hostname may be read from, could go unchecked; use a Fastify version @upgate/health supports (5.x)",
    );
  }
  return (req: NodeRequest) => {
    const socket = req.socket;
    const headers = { host: PLAIN_HOST, 'x-forwarded-host': FORWARDED_HOST };
    const raw = { headers, socket, connection: socket };
    const question = Object.create(prototype, { raw: { value: raw }, headers: { value: headers } }) as object;
    return host.call(question) === FORWARDED_HOST;
  };
}

function getterOf(prototype: object, name: string): (() => unknown) | undefined {
  for (let at: object | null = prototype; at !== null; at = Object.getPrototypeOf(at) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(at, name);
    if (descriptor !== undefined) return descriptor.get;
  }
  return undefined;
}
