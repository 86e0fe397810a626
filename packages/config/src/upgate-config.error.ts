/**
 * One problem with one setting, phrased so that a person can fix it without reading our code.
 */
export interface ConfigProblem {
  /** The setting as the user wrote it: `ALLOWED_HOSTS`, `allowedHosts[2]`, `config/deploy.yml:12: proxy.host`. */
  readonly setting: string;
  /** The offending value, as given (already quoted where that helps); empty when there is none to show. */
  readonly value: string;
  /** What is wrong and the form it should take: `is a URL; write the host alone: "app.example.com"`. */
  readonly message: string;
}

/**
 * Thrown when settings are invalid. Every problem found is listed, not just the first, so one
 * failed start-up is enough to fix them all.
 */
export class UpgateConfigError extends Error {
  override readonly name = 'UpgateConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(UpgateConfigError.format(problems));
  }

  static format(problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${p.setting}: ${p.value === '' ? '' : `${p.value} `}${p.message}`);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    return `upgate: invalid settings (${count}):\n${lines.join('\n')}`;
  }
}
