import { inspect } from 'node:util';

/**
 * One log line of the module with its fields, made for every kind of NestJS logger at once. A
 * logger's `warn(message, context)` receives this object as `message`, and:
 * - Nest's default `ConsoleLogger` (text) prints a non-string message with `util.inspect`, which
 *   calls `[inspect.custom]`: the readable line alone, on one line, as a string message would be.
 * - nestjs-pino's `Logger` copies an object message's own enumerable properties into the record it
 *   gives pino: the fields at the top level of the JSON line, the line itself as `msg` (pino's
 *   message key), the context as `context`.
 * - `ConsoleLogger` with `json: true` puts the message in its `message` field, serialised with
 *   `JSON.stringify`: `{"message":{"type":"host-rejected",...,"msg":"..."},"context":"upgate"}`.
 * - A logger that reads `message.message` (nest-winston's) finds the line there (a getter of the
 *   class, so that it is neither an own property nor serialised twice); one that makes a string of
 *   it (`${message}`) gets the line from `toString()`.
 *
 * Two arguments (a string, then the fields) would not do: the text ConsoleLogger of NestJS 11
 * prints every extra argument as a line of its own, and nestjs-pino hands extra arguments to pino
 * as printf arguments, which drops them.
 */
export class LogRecord {
  declare readonly msg: string;
  /** What a text console prints: the line, and for an error its stack below it. */
  readonly #text: string;

  /**
   * @param text what a text console prints, when more than the line (an error's stack below it).
   */
  constructor(msg: string, fields: object, text: string = msg) {
    // Defined rather than assigned: a field may be named like the `message` getter.
    for (const [key, value] of Object.entries(fields)) {
      Object.defineProperty(this, key, { value, enumerable: true, writable: true, configurable: true });
    }
    // After the fields: the line is the line whatever they hold.
    Object.defineProperty(this, 'msg', { value: msg, enumerable: true });
    this.#text = text;
  }

  /** For loggers that read `message.message` (nest-winston). */
  get message(): string {
    return this.msg;
  }

  toString(): string {
    return this.msg;
  }

  [inspect.custom](): string {
    return this.#text;
  }
}
