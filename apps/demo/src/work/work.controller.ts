import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/** The longest `ms` accepted: well inside Docker's 10 s stop timeout, so a drain can wait for it. */
export const MAX_WORK_MS = 5000;

/**
 * A request that takes a while (a report, an upload), to watch a graceful shutdown finish it:
 * `curl 'localhost:3000/api/work?ms=3000' & kill -TERM <pid>`.
 */
@Controller('api/work')
export class WorkController {
  @Get()
  async work(@Query('ms') ms = '1000'): Promise<{ tookMs: number }> {
    const duration = Number(ms);
    if (!/^\d+$/.test(ms) || duration > MAX_WORK_MS)
      throw new BadRequestException([`ms must be a whole number of milliseconds from 0 to ${MAX_WORK_MS}`]);
    const started = performance.now();
    await sleep(duration);
    return { tookMs: Math.round(performance.now() - started) };
  }
}
