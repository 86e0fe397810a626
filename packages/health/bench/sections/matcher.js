// The host matcher of @upgate/config, on the server core: its own benchmark
// (packages/config/bench/host-matcher.bench.js, which reads the package's dist/), run for its
// per-round samples.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnServerCore } from '../lib/processes.js';
import { ratioTarget } from '../lib/stats.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '../../../config/bench/host-matcher.bench.js');

/** @returns {Promise<import('../lib/report.js').Row[]>} */
export async function matcherRows() {
  const { samples, ratios } = JSON.parse((await runOnServerCore([script, '--json'])).trim().split('\n').at(-1));
  const millions = (values) => values.map((value) => value / 1e6);
  const rows = [
    {
      label: 'Matcher: exact host, 1 entry (M decisions per CPU second)',
      values: millions(samples.exact1.values),
      unit: 'M/s',
      // An absolute figure: resolved when its rounds spread over less than a tenth of the target.
      target: { op: '>=', value: 8, margin: 0.8 },
    },
    {
      label: 'Matcher: 10,000 entries ÷ 1 entry, exact host',
      values: ratios,
      unit: 'ratio',
      target: ratioTarget('>=', 0.95),
    },
  ];
  for (const key of ['exactFresh', 'subdomain', 'malformed', 'disallowed', 'probe', 'forwarded']) {
    rows.push({ label: `Matcher: ${samples[key].label} (M/s)`, values: millions(samples[key].values), unit: 'M/s' });
  }
  return rows;
}
