import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import { HEALTH_LOGGER } from '../health.constants.js';
import { LogRecord } from './log-record.js';

/** The one context of every line the module writes. */
export const LOG_CONTEXT = 'upgate';

/**
 * Every line of the module goes through here, to the module's logger (the `logger` option, else
 * Nest's `Logger` facade, i.e. whatever the app installed with `app.useLogger()`), under one
 * context, `upgate`. A line with fields is a `LogRecord`: one readable line on a text console, the
 * fields in a JSON logger (see `LogRecord`).
 */
@Injectable()
export class HealthLog {
  constructor(@Inject(HEALTH_LOGGER) private readonly logger: LoggerService) {}

  log(line: string, fields?: object): void {
    this.logger.log(toMessage(line, fields), LOG_CONTEXT);
  }

  warn(line: string, fields?: object): void {
    this.logger.warn(toMessage(line, fields), LOG_CONTEXT);
  }

  /**
   * An error line; with `error`, a text console prints its stack below the line, and a JSON logger
   * gets it as `err` (pino serialises it with its stack). Not as Nest's second argument: nestjs-pino
   * would make that string pino's message, beside the record's own.
   */
  error(line: string, error?: unknown, fields?: object): void {
    if (error === undefined) {
      this.logger.error(toMessage(line, fields), LOG_CONTEXT);
      return;
    }
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const record = new LogRecord(line, { ...fields, err: error instanceof Error ? error : stack }, `${line}\n${stack}`);
    this.logger.error(record, LOG_CONTEXT);
  }

  debug(line: string, fields?: object): void {
    this.logger.debug?.(toMessage(line, fields), LOG_CONTEXT);
  }
}

function toMessage(line: string, fields: object | undefined): string | LogRecord {
  return fields === undefined ? line : new LogRecord(line, fields);
}
