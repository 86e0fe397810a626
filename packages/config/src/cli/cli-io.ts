/** What a CLI command touches of the outside world, so that tests can run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The environment the command reads (`process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved against (`process.cwd()`). */
  readonly cwd: string;
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}
