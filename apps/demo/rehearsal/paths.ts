/** Where things are, from rehearsal/dist/ (compiled) or rehearsal/ (sources). */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** apps/demo/rehearsal: the preloads (.mjs) are used from here, as written. */
export const REHEARSAL_SOURCES = HERE.endsWith(join('rehearsal', 'dist')) ? resolve(HERE, '..') : HERE;
/** apps/demo */
export const DEMO_ROOT = resolve(REHEARSAL_SOURCES, '..');
export const REPO_ROOT = resolve(DEMO_ROOT, '..', '..');
/** The deploy file the demo's image contains and its app reads. */
export const DEPLOY_YML = join(DEMO_ROOT, 'config', 'deploy.yml');
/** The secrets Kamal reads when it runs from apps/demo. */
export const KAMAL_SECRETS = join(DEMO_ROOT, '.kamal', 'secrets');
export const DOCKERFILE = join(DEMO_ROOT, 'Dockerfile');
export const DEMO_MAIN = join(DEMO_ROOT, 'dist', 'main.js');
