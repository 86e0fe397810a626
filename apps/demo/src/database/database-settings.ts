/**
 * Where the demo's catalogue lives: DATABASE_URL, which Kamal gives the container from
 * `.kamal/secrets` (deploy.yml `env.secret`) and Kubernetes from a Secret (k8s/deployment.yaml).
 *
 * Development (NODE_ENV unset or `development`) has a default, the database `scripts/postgres.sh`
 * (or the docker command in the README) starts, so that `npm start` needs no variable. Anywhere else
 * DATABASE_URL is required: a production app must not quietly look for a database on localhost.
 */
import { type ConfigProblem, ENV_VARIABLES, UpgateConfigError } from '@upgate/config';

export const DATABASE_URL_VARIABLE = 'DATABASE_URL';

/** The database of `scripts/postgres.sh` and of the README's docker command. */
export const DEVELOPMENT_DATABASE_URL = 'postgres://upgate:upgate@127.0.0.1:5432/upgate_demo';

/** The one command that starts that database anywhere Docker runs. */
export const DEVELOPMENT_DATABASE_COMMAND =
  'docker run -d --name upgate-demo-db -p 127.0.0.1:5432:5432 -e POSTGRES_USER=upgate -e POSTGRES_PASSWORD=upgate -e POSTGRES_DB=upgate_demo postgres:15';

export interface DatabaseSettings {
  readonly url: string;
  /** The URL without its password, for logs and messages. */
  readonly shown: string;
  /** `DATABASE_URL`, or the development default. */
  readonly origin: string;
}

/**
 * What the app is built with while DATABASE_URL is wrong, so that start-up can still list upgate's
 * problems with it; such an app is never started, and this database is never connected to.
 */
export const UNCONFIGURED_DATABASE: DatabaseSettings = Object.freeze({
  url: 'postgres://unconfigured.invalid/none',
  shown: '(not configured)',
  origin: 'none',
});

/** Reads DATABASE_URL; throws `UpgateConfigError` naming the problem. */
export function loadDatabaseSettings(env: NodeJS.ProcessEnv = process.env): DatabaseSettings {
  const problems: ConfigProblem[] = [];
  const settings = databaseSettings(env, problems);
  if (settings === undefined) throw new UpgateConfigError(problems);
  return settings;
}

/** Reads DATABASE_URL; adds what is wrong with it to `problems` (and returns undefined) rather than throwing. */
export function databaseSettings(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): DatabaseSettings | undefined {
  const given = env[DATABASE_URL_VARIABLE];
  const environment = env[ENV_VARIABLES.environment]?.trim() || 'development';
  if (given === undefined || given.trim() === '') {
    if (environment === 'development') {
      return {
        url: DEVELOPMENT_DATABASE_URL,
        shown: withoutPassword(DEVELOPMENT_DATABASE_URL),
        origin: 'development default',
      };
    }
    problems.push({
      setting: DATABASE_URL_VARIABLE,
      value: given === undefined ? '' : '""',
      message: `is not set, which only development allows (NODE_ENV is "${environment}"); give the catalogue's PostgreSQL database, e.g. DATABASE_URL=postgres://upgate:<password>@upgate-demo-db:5432/upgate_demo (Kamal: env.secret in config/deploy.yml, value in .kamal/secrets)`,
    });
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    problems.push({ setting: DATABASE_URL_VARIABLE, value: JSON.stringify(maskPassword(given)), message: FORM });
    return undefined;
  }
  if ((url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || url.hostname === '') {
    problems.push({ setting: DATABASE_URL_VARIABLE, value: JSON.stringify(withoutPassword(given)), message: FORM });
    return undefined;
  }
  return { url: given, shown: withoutPassword(given), origin: DATABASE_URL_VARIABLE };
}

const FORM = 'is not a PostgreSQL URL; write postgres://<user>:<password>@<host>:<port>/<database>';

/** The URL with its password left out (it may be in a log line or an error message). */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '';
    return parsed.toString();
  } catch {
    return maskPassword(url);
  }
}

/** For text that is no URL at all: hide whatever could be a password between ':' and '@'. */
function maskPassword(text: string): string {
  return text.replace(/:[^:@/]*@/, ':***@');
}
