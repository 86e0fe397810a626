/**
 * Injection tokens of the health module. Symbols, so that no string of an app's own providers can
 * collide with them; the `getXToken()` helpers are what code outside this package should use
 * (`@Inject(getSettingsToken())`), as nestjs/throttler does.
 */

/** The `HealthModuleOptions` object exactly as given to `forRoot` / returned by `forRootAsync`'s factory. */
export const HEALTH_MODULE_OPTIONS = Symbol('upgate:health-module-options');

/** The resolved, validated `UpgateSettings` (defaults applied, development allowlist, probe paths). */
export const HEALTH_SETTINGS = Symbol('upgate:health-settings');

/**
 * How the settings were resolved (`SettingsResolution` of `@upgate/config`): where each came from,
 * the warnings logged at start-up, the deploy file read.
 */
export const HEALTH_SETTINGS_RESOLUTION = Symbol('upgate:health-settings-resolution');

/** The `HostMatcher` compiled once from the settings. */
export const HOST_MATCHER = Symbol('upgate:host-matcher');

/** Reflect-metadata key under which `@AllowHosts()` stores its entries. */
export const ALLOW_HOSTS_METADATA = 'upgate:allow-hosts';

/** Token of the `HealthModuleOptions` (as given, not defaulted). */
export const getOptionsToken = (): symbol => HEALTH_MODULE_OPTIONS;

/** Token of the resolved `UpgateSettings`. */
export const getSettingsToken = (): symbol => HEALTH_SETTINGS;

/** Token of the `SettingsResolution`: the settings with their origins, warnings and the deploy file read. */
export const getSettingsResolutionToken = (): symbol => HEALTH_SETTINGS_RESOLUTION;

/** Token of the compiled `HostMatcher` of the module's allowlist. */
export const getHostMatcherToken = (): symbol => HOST_MATCHER;

/** The `LoggerService` of the module (`options.logger`, else a context-free `Logger`: every call passes the context 'upgate', which a `Logger` built with a context would print as a second line). Internal. */
export const HEALTH_LOGGER = Symbol('upgate:health-logger');
