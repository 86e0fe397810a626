/**
 * The secrets Kamal gives the containers (`env.secret` of the app and of the accessories): the
 * demo's own `.kamal/secrets`, read as Kamal reads it (dotenv, with `$NAME` and `${NAME}` replaced
 * by what the shell that runs `kamal` exports), with the values the rehearsal exports in that shell.
 * So the rehearsal deploys with the DATABASE_URL the file composes, and a mistake in it shows.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { RehearsalError } from './rehearsal-error.js';

/** `$NAME` or `${NAME}`, as dotenv substitutes them. */
const VARIABLE = /\$(?:\{(\w+)\}|(\w+))/g;

/**
 * The secrets of `file` with `exported` as the shell's environment. A variable the file reads and
 * the rehearsal does not export is an error (Kamal would pass an empty value, which hides it), and
 * so is a command substitution (`$(...)`: a password manager the rehearsal does not run).
 */
export function readKamalSecrets(file: string, exported: Readonly<Record<string, string>>): Record<string, string> {
  const text = readFileSync(file, 'utf8');
  if (text.split('\n').some((line) => !line.trimStart().startsWith('#') && line.includes('$(')))
    throw new RehearsalError(`${file} runs a command ($(...)) for a secret; the rehearsal gives its secrets as values`);
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined) continue;
    secrets[name] = value.replace(VARIABLE, (_, braced: string | undefined, bare: string | undefined) => {
      const variable = (braced ?? bare) as string;
      const given = exported[variable] ?? secrets[variable];
      if (given === undefined)
        throw new RehearsalError(
          `${file}: ${name} reads $${variable}, which the rehearsal does not export (the secrets it gives are in rehearsal/kamal.ts)`,
        );
      return given;
    });
  }
  return secrets;
}
