import type { ProbeKind } from '../observe/health-event.js';
import type { ResolvedProbeOptions } from './probe-options.js';

/** The kind of a probe path: the startup path, a readiness path, or liveness (every other). */
export function probeKindOf(path: string, options: ResolvedProbeOptions): ProbeKind {
  if (path === options.startupPath) return 'startup';
  return options.readinessPaths.has(path) ? 'readiness' : 'liveness';
}
