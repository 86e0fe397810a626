import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { LazyModuleLoader } from '@nestjs/core';
import type { ResolvedProbeOptions } from './probe-options.js';
import { ProbeCheck } from './probe-check.js';
import { ProbeReplies } from './probe-replies.js';
import type { ProbeReply } from './probe-reply.js';
import { PROBE_OPTIONS } from './probe.tokens.js';

/** What a probe path with checks answers through: a `ProbeCheck` once the app has started. */
export interface ProbeAnswer {
  reply(): ProbeReply | Promise<ProbeReply>;
}

/**
 * The checks of every probe path that has indicators. terminus is loaded only when some path has
 * indicators, and then lazily, once the app's own modules exist: liveness alone (the default)
 * costs neither its start-up time nor its memory.
 */
@Injectable()
export class ProbeChecks implements OnApplicationBootstrap {
  readonly replies: ProbeReplies;
  private readonly answers = new Map<string, ProbeAnswer>();

  constructor(
    @Inject(PROBE_OPTIONS) private readonly options: ResolvedProbeOptions,
    private readonly lazyModules: LazyModuleLoader,
  ) {
    this.replies = new ProbeReplies(options.probeDetails);
    const starting: ProbeAnswer = { reply: () => this.replies.starting };
    for (const [path, indicators] of options.probes) {
      if (indicators.length > 0) this.answers.set(path, starting);
    }
  }

  /** The checks of `path`, or undefined when it has none (liveness). */
  get(path: string): ProbeAnswer | undefined {
    return this.answers.get(path);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.answers.size === 0) return;
    const { TerminusModule, HealthCheckService } = await importTerminus([...this.answers.keys()]);
    // Returns the app's own TerminusModule when it already imports it.
    const terminus = await this.lazyModules.load(() => TerminusModule, { logger: false });
    const health = terminus.get(HealthCheckService);
    const { probeTimeoutMs, probeCacheMs } = this.options;
    for (const [path, indicators] of this.options.probes) {
      if (indicators.length === 0) continue;
      this.answers.set(
        path,
        new ProbeCheck(path, indicators, (list) => health.check(list), this.replies, probeTimeoutMs, probeCacheMs),
      );
    }
  }
}

async function importTerminus(paths: string[]): Promise<typeof import('@nestjs/terminus')> {
  try {
    return await import('@nestjs/terminus');
  } catch (error) {
    // Only terminus itself missing, not something terminus imports.
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code !== 'ERR_MODULE_NOT_FOUND' || !String(message).includes("'@nestjs/terminus'")) throw error;
    throw new Error(
      `upgate: the probes ${paths.map((p) => `'${p}'`).join(', ')} have health indicators, which run on @nestjs/terminus; install it (npm install @nestjs/terminus) or remove the indicators`,
      { cause: error },
    );
  }
}
