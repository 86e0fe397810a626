/**
 * The one answer to "does the app's allowlist let through every request kamal-proxy routes to it
 * for this proxy host?", used by the resolver (a contradiction with the deploy file) and by
 * `upgate check` (a finding).
 *
 * kamal-proxy (internal/server/service_map.go, `bindingsForHost`) routes a request by its Host
 * without the port: an exact entry matches that name only, and `*.example.com` matches a name with
 * exactly one label before `.example.com` (`a.example.com`, not `a.b.example.com`, not
 * `example.com`). So an exact proxy host is checked as it is, and a wildcard with a label that no
 * allowlist lists: only an allowlist entry covering every such label (`.example.com`,
 * `*.example.com`, `*`) allows it.
 */
import type { HostAllowlistMatcher } from '../host/host-matcher.js';

/** A label no allowlist lists by name. */
const SAMPLE_LABEL = 'upgate-check';

/** The Host kamal-proxy routes for a proxy host: the host itself, or for `*.example.com` one it stands for. */
export function proxyHostSample(proxyHost: string): string {
  return proxyHost.startsWith('*.') ? `${SAMPLE_LABEL}${proxyHost.slice(1)}` : proxyHost;
}

/** Whether the allowlist allows every Host kamal-proxy routes to the app for `proxyHost`. */
export function coversProxyHost(allowlist: HostAllowlistMatcher, proxyHost: string): boolean {
  return allowlist.allowsHost(proxyHostSample(proxyHost));
}
