/** The probe settings, resolved (`ResolvedProbeOptions`), that the probe providers share. */
export const PROBE_OPTIONS = Symbol('upgate:probe-options');
