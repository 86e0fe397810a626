/**
 * The `upgate` command line (bin/upgate.js). One command so far: `upgate check`.
 */
import { runCheck } from './check-command.js';
import { processIo, type CliIo } from './cli-io.js';

export const UPGATE_HELP = `Usage: upgate <command> [options]

Commands:
  check    compare a Kamal deploy file with what the app will do (upgate check --help)

Options:
  -h, --help    show this help
`;

/** Runs the command line; resolves with the exit status (0 fine, 1 errors found, 2 usage). */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(UPGATE_HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === 'check') return runCheck(rest, io);
  io.stderr(`upgate: unknown command ${JSON.stringify(command)}\n\n${UPGATE_HELP}`);
  return 2;
}
