import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import {
  compileHostMatcher,
  type ConfigProblem,
  type HostMatcher,
  UpgateConfigError,
  type UpgateSettings,
} from '@upgate/config';
import { ALLOW_HOSTS_METADATA, HEALTH_SETTINGS } from '../health.constants.js';

/**
 * The matchers of `@AllowHosts()` lists: one per distinct list, compiled with the same code as the
 * app-wide allowlist (and the same `trustProxy`), no probe paths. Every list found on a controller
 * is compiled when the module starts, so that a bad entry fails `app.init()` / `NestFactory.create()`
 * with the config error's message rather than the first request.
 */
@Injectable()
export class HostMatcherRegistry implements OnModuleInit {
  private readonly matchers = new Map<string, HostMatcher>();

  constructor(
    @Inject(HEALTH_SETTINGS) private readonly settings: UpgateSettings,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const problems: ConfigProblem[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null | undefined;
      if (typeof controller !== 'function') continue;
      this.collect(problems, controller, controller.name);
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        this.collect(problems, prototype[method] as object, `${controller.name}.${method}()`);
      }
    }
    if (problems.length > 0) throw new UpgateConfigError(problems);
  }

  /**
   * The matcher of one `@AllowHosts()` list as seen from `owner` (the route), whose name its
   * errors and rejections carry; one per route and list, compiled on first use.
   */
  matcherFor(entries: readonly string[], owner: string): HostMatcher {
    const key = `${owner}\n${entries.join('\n')}`;
    let matcher = this.matchers.get(key);
    if (matcher === undefined) {
      matcher = this.compile(entries, owner);
      this.matchers.set(key, matcher);
    }
    return matcher;
  }

  private collect(problems: ConfigProblem[], target: object, owner: string): void {
    const entries = this.reflector.get<readonly string[] | undefined>(ALLOW_HOSTS_METADATA, target as never);
    if (entries === undefined) return;
    try {
      this.matcherFor(entries, owner);
    } catch (error) {
      if (!(error instanceof UpgateConfigError)) throw error;
      problems.push(...error.problems);
    }
  }

  private compile(entries: readonly string[], owner: string): HostMatcher {
    const setting = `@AllowHosts() on ${owner}`;
    if (entries.length === 0) {
      throw new UpgateConfigError([
        {
          setting,
          value: '',
          message: "lists no host; name the hosts this route answers for, e.g. @AllowHosts('admin.example.com')",
        },
      ]);
    }
    try {
      // Named after its decorator, so that a rejection's log line says which list to extend.
      return compileHostMatcher({
        allowedHosts: entries,
        probePaths: [],
        trustProxy: this.settings.trustProxy,
        listName: setting,
      });
    } catch (error) {
      if (!(error instanceof UpgateConfigError)) throw error;
      throw new UpgateConfigError(
        error.problems.map((problem) => ({ ...problem, setting: relabel(problem.setting, setting) })),
      );
    }
  }
}

/** `allowedHosts[2]` → `@AllowHosts() on AdminController, entry 3`. */
function relabel(setting: string, owner: string): string {
  const index = /^allowedHosts\[(\d+)\]$/.exec(setting);
  if (index !== null) return `${owner}, entry ${Number(index[1]) + 1}`;
  return setting.startsWith('allowedHosts')
    ? `${owner}${setting.slice('allowedHosts'.length)}`
    : `${owner} (${setting})`;
}
