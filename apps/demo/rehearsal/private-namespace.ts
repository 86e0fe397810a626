/**
 * The rehearsal's own network, mount and PID namespaces (`unshare`), for `NamespaceRuntime`:
 *
 * - network: kamal-proxy v0.9.2 has no option for the address it listens on (`Config.Bind` is set by
 *   its tests only), so `kamal-proxy run` listens on every interface. In a new network namespace the
 *   only interfaces are loopback and the private bridge to the app versions, so nothing of the
 *   rehearsal is reachable from outside the machine, and ports (80, 443, the app's 3000) cannot clash
 *   with anything else running on it;
 * - mount: `/etc/hosts` is bind-mounted from a file of the rehearsal's, so that a 12-hex container id
 *   resolves to its version's address, for kamal-proxy as on Docker's network;
 * - PID: the rehearsal is process 1, so everything it started ends with it, even after a crash.
 *
 * Needs root (CI runs as root), or unprivileged user namespaces for `--map-root-user`.
 */
import { spawn } from 'node:child_process';
import { RehearsalError } from './rehearsal-error.js';

/** Set in the environment of the rehearsal once it runs inside its namespaces. */
const INSIDE = 'UPGATE_REHEARSAL_NAMESPACES';

export function insidePrivateNamespaces(): boolean {
  return process.env[INSIDE] === '1';
}

/** Runs this same script again inside new namespaces, and resolves to its exit status. */
export function rerunInPrivateNamespaces(): Promise<number> {
  const root = process.getuid?.() === 0;
  const args = [
    '--mount',
    '--net',
    '--pid',
    '--fork',
    '--mount-proc',
    '--kill-child',
    ...(root ? [] : ['--map-root-user']),
    '--',
    process.execPath,
    ...process.execArgv,
    ...process.argv.slice(1),
  ];
  return new Promise((done, fail) => {
    const child = spawn('unshare', args, { stdio: 'inherit', env: { ...process.env, [INSIDE]: '1' } });
    // Ctrl-C reaches the rehearsal inside as well (same process group); it cleans up and exits.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    child.once('error', (error) =>
      fail(new RehearsalError(`cannot run unshare (util-linux) for the rehearsal's namespaces: ${error.message}`)),
    );
    child.once('exit', (code, signal) => {
      if (code === 1 && signal === null && !root) {
        process.stderr.write(
          'rehearse: if unshare failed above, run as root (CI does) or allow unprivileged user namespaces\n',
        );
      }
      done(code ?? 1);
    });
  });
}
