import type { LoggerService } from '@nestjs/common';

/** One call to a logger method. */
export interface LogLine {
  readonly level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  readonly message: string;
  readonly context: string | undefined;
}

/** A `LoggerService` that keeps every line, for tests that read what an operator would read. */
export class CapturingLogger implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', message, rest);
  }

  /** The messages of one level, optionally of one context. */
  messages(level: LogLine['level'], context?: string): string[] {
    return this.lines
      .filter((l) => l.level === level && (context === undefined || l.context === context))
      .map((l) => l.message);
  }

  private keep(level: LogLine['level'], message: unknown, rest: unknown[]): void {
    const last = rest.at(-1);
    this.lines.push({ level, message: String(message), context: typeof last === 'string' ? last : undefined });
  }
}
