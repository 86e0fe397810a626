import type { ConfigProblem } from '@upgate/config';

/**
 * SHUTDOWN_DELAY_MS: upgate's `shutdownDelayMs`, how long the app keeps serving after SIGTERM
 * while its probes answer 503. 0 under Kamal (kamal-proxy has drained the container before
 * `docker stop`); a few seconds on Kubernetes, which goes on routing to a terminating pod until its
 * endpoints are updated (k8s/deployment.yaml sets 5000, under terminationGracePeriodSeconds).
 */
export const SHUTDOWN_DELAY_VARIABLE = 'SHUTDOWN_DELAY_MS';

/** Kubernetes' default terminationGracePeriodSeconds is 30 s: a delay must leave room to drain in it. */
export const MAX_SHUTDOWN_DELAY_MS = 20_000;

/** The delay, or undefined with the problem added to `problems`. */
export function shutdownDelay(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): number | undefined {
  const given = env[SHUTDOWN_DELAY_VARIABLE];
  if (given === undefined) return 0;
  const value = Number(given.trim());
  if (/^\d+$/.test(given.trim()) && value <= MAX_SHUTDOWN_DELAY_MS) return value;
  problems.push({
    setting: SHUTDOWN_DELAY_VARIABLE,
    value: JSON.stringify(given),
    message: `is not a delay; write a whole number of milliseconds from 0 to ${MAX_SHUTDOWN_DELAY_MS} (0 under Kamal, e.g. 5000 on Kubernetes)`,
  });
  return undefined;
}
