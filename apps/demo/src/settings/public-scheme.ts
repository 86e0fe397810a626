import type { HealthSettingsResolution } from '@upgate/health';

/**
 * The scheme of the absolute URLs the app builds: https where kamal-proxy terminates TLS
 * (`proxy.ssl` of the deploy file) and the app runs deployed, http in development, where it is
 * reached directly.
 */
export function publicScheme(resolution: HealthSettingsResolution): 'http' | 'https' {
  const deployed = resolution.settings?.environment !== 'development';
  return deployed && resolution.deployFile?.config?.proxy.ssl === true ? 'https' : 'http';
}
