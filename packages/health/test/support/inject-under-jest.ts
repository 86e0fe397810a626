import { createRequire } from 'node:module';
import { jest } from '@jest/globals';

/**
 * Import this before a test calls Fastify's `inject()`. light-my-request, which `inject()` runs on,
 * require()s cookie 2, which is ESM-only: Node >= 20.19 loads it (require(esm)), Jest's CommonJS
 * loader does not before Node 24.9. Jest gets the CommonJS cookie 0.7 that express depends on in its
 * place, with the one function light-my-request calls from it (for `inject()`'s `cookies` option).
 */
const requireHere = createRequire(import.meta.url);
const lightMyRequestCookie = createRequire(
  createRequire(requireHere.resolve('fastify')).resolve('light-my-request'),
).resolve('cookie');
const cookie = createRequire(requireHere.resolve('express'))('cookie') as {
  serialize(name: string, value: string, options?: object): string;
};
jest.doMock(lightMyRequestCookie, () => ({
  ...cookie,
  stringifySetCookie: ({ name, value, ...options }: { name: string; value: string }) =>
    cookie.serialize(name, value, options),
}));
