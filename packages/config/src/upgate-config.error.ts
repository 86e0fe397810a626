/**
 * One problem with one setting, phrased so that a person can fix it without reading our code. A
 * warning (a setting overridden by a higher source, a contradiction development lets pass) has the
 * same shape.
 */
export interface ConfigProblem {
  /** The setting as the user wrote it: `ALLOWED_HOSTS`, `allowedHosts[2]`, `config/deploy.yml:12: proxy.host`. */
  readonly setting: string;
  /** The offending value, as given (already quoted where that helps); empty when there is none to show. */
  readonly value: string;
  /** What is wrong and the form it should take: `is a URL; write the host alone: "app.example.com"`. */
  readonly message: string;
  /**
   * Set when the problem is a higher source contradicting the deploy file in a way that breaks the
   * deploy: the deploy-file key it contradicts. `upgate check` reports these in its own terms.
   */
  readonly contradicts?: 'proxy.hosts' | 'proxy.healthcheck.path' | 'proxy.app_port';
}

/** One problem or warning as a line: `ALLOWED_HOSTS: "https://a.example" is a URL; ...`. */
export function formatConfigProblem(problem: ConfigProblem): string {
  return `${problem.setting}: ${problem.value === '' ? '' : `${problem.value} `}${problem.message}`;
}

/**
 * Thrown when settings are invalid. Every problem found is listed, not just the first, so one
 * failed start-up is enough to fix them all.
 */
export class UpgateConfigError extends Error {
  override readonly name = 'UpgateConfigError';

  /**
   * @param problems what stops the app, every one of them.
   * @param warnings what was found besides (overridden settings): not in the message, for callers
   *   that show them too.
   */
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly warnings: readonly ConfigProblem[] = [],
  ) {
    super(UpgateConfigError.format(problems));
  }

  static format(problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${formatConfigProblem(p)}`);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    return `upgate: invalid settings (${count}):\n${lines.join('\n')}`;
  }
}
