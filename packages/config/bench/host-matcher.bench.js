// Decisions per second of the compiled host matcher (spec: linear in the host's length, independent
// of the allowlist's size for exact entries). Not a test: it prints figures measured in this run.
//   npm run bench -w @upgate/config
// Targets: >= 8,000,000 decisions/s for an exact host on one core; 10,000 entries within 5% of 1.
// With --json it prints one JSON line of the per-round samples instead of the table (the health
// package's benchmark runs it so, beside its own figures).
import { cpus, loadavg } from 'node:os';
import { compileHostMatcher } from '../dist/index.js';

const ROUNDS = 15;
const ROUND_CPU_MS = 40;
const WARMUP_CPU_MS = 200;

const request = (host, extra = {}) => ({ method: 'GET', path: '/orders?page=2', host, ...extra });

// Read at run time, so that the compiler cannot fold the concatenation into one constant string.
const HOST_PARTS = ['app.example.', 'app.example.', 'com'];

const manyEntries = Array.from({ length: 10_000 }, (_, i) => `tenant-${i}.example.com`);
manyEntries[5_000] = 'app.example.com';

const scenarios = {
  exact1: {
    label: 'exact host, 1 entry',
    matcher: compileHostMatcher({ allowedHosts: ['app.example.com'], probePaths: ['/up'] }),
    request: request('app.example.com'),
    expect: 'allow',
  },
  exact10k: {
    label: 'exact host, 10,000 entries',
    matcher: compileHostMatcher({ allowedHosts: manyEntries, probePaths: ['/up'] }),
    request: request('app.example.com'),
    expect: 'allow',
  },
  exactFresh: {
    label: 'exact host, new string per request (+ its cost)',
    matcher: compileHostMatcher({ allowedHosts: manyEntries, probePaths: ['/up'] }),
    request: request('app.example.com'),
    // A server's parser makes a new string per request, whose hash V8 has not cached yet: build
    // one per call (a concatenation, flattened on first read), so that the Map lookup hashes it.
    // The figure includes building the string, so it is a lower bound for the matcher.
    fresh: (req, i) => ({ method: req.method, path: req.path, host: HOST_PARTS[i & 1] + HOST_PARTS[2] }),
    expect: 'allow',
  },
  exactPort: {
    label: 'exact host with port, mixed case',
    matcher: compileHostMatcher({ allowedHosts: ['app.example.com'], probePaths: ['/up'] }),
    request: request('App.Example.com:3000'),
    expect: 'allow',
  },
  subdomain: {
    label: 'subdomain wildcard (.example.com, a.b.example.com)',
    matcher: compileHostMatcher({ allowedHosts: ['.example.com'], probePaths: ['/up'] }),
    request: request('a.b.example.com'),
    expect: 'allow',
  },
  malformed: {
    label: 'malformed host (example.com@evil.com)',
    matcher: compileHostMatcher({ allowedHosts: ['example.com'], probePaths: ['/up'] }),
    request: request('example.com@evil.com'),
    expect: 'reject-malformed',
  },
  disallowed: {
    label: 'unlisted host (7c7168a662c1:8000)',
    matcher: compileHostMatcher({ allowedHosts: ['example.com'], probePaths: ['/up'] }),
    request: request('7c7168a662c1:8000'),
    expect: 'reject-disallowed',
  },
  probe: {
    label: 'probe (GET /up, container-id host)',
    matcher: compileHostMatcher({ allowedHosts: ['example.com'], probePaths: ['/up'] }),
    request: { method: 'GET', path: '/up', host: '7c7168a662c1:8000' },
    expect: 'probe',
  },
  forwarded: {
    label: 'trusted proxy, 2 X-Forwarded-Host entries',
    matcher: compileHostMatcher({
      allowedHosts: ['.example.com', 'web'],
      probePaths: ['/up'],
      trustProxy: ['private'],
    }),
    request: request('web:3000', {
      forwardedHost: 'shop.example.com, cdn.example.com',
      peerAddress: '::ffff:10.0.0.2',
    }),
    expect: 'allow',
  },
};

let sink = 0;

/** CPU microseconds of this process (user + system): time spent descheduled on a shared machine is not counted. */
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** `iterations` decisions; returns decisions per CPU second. */
function run(scenario, iterations) {
  const { matcher, request: req, fresh } = scenario;
  const start = cpuMicros();
  if (fresh) for (let i = 0; i < iterations; i++) sink += matcher.decide(fresh(req, i)).kind.length;
  else for (let i = 0; i < iterations; i++) sink += matcher.decide(req).kind.length;
  return (iterations * 1e6) / Math.max(cpuMicros() - start, 1);
}

/** Warms a scenario up and returns the iteration count that takes about `ROUND_CPU_MS` of CPU. */
function calibrate(scenario) {
  const decided = scenario.matcher.decide(scenario.fresh ? scenario.fresh(scenario.request, 0) : scenario.request).kind;
  if (decided !== scenario.expect) throw new Error(`${scenario.label}: expected ${scenario.expect}, got ${decided}`);
  let iterations = 10_000;
  let rate = run(scenario, iterations);
  for (let spent = 0; spent < WARMUP_CPU_MS; spent += (iterations / rate) * 1000) {
    iterations = Math.ceil((rate * 50) / 1000);
    rate = run(scenario, iterations);
  }
  return Math.ceil((rate * ROUND_CPU_MS) / 1000);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const format = (perSecond) => Math.round(perSecond).toLocaleString('en-US').padStart(12);

const iterations = new Map(Object.entries(scenarios).map(([key, scenario]) => [key, calibrate(scenario)]));
// Both exact-host runs do the same number of decisions, so that their ratio compares like with like.
iterations.set('exact10k', iterations.get('exact1'));

// Rounds interleave the scenarios so that a busy neighbour slows them all alike; the 1-entry and
// 10,000-entry runs sit next to each other (in alternating order) and their ratio is taken per round.
const results = new Map(Object.keys(scenarios).map((key) => [key, []]));
const ratios = [];
for (let round = 0; round < ROUNDS; round++) {
  const pair = round % 2 === 0 ? ['exact1', 'exact10k'] : ['exact10k', 'exact1'];
  const measured = {};
  for (const key of pair) measured[key] = run(scenarios[key], iterations.get(key));
  ratios.push(measured.exact10k / measured.exact1);
  for (const key of pair) results.get(key).push(measured[key]);
  for (const [key, scenario] of Object.entries(scenarios)) {
    if (!pair.includes(key)) results.get(key).push(run(scenario, iterations.get(key)));
  }
}

if (process.argv.includes('--json')) {
  const samples = Object.fromEntries(
    Object.entries(scenarios).map(([key, scenario]) => [key, { label: scenario.label, values: results.get(key) }]),
  );
  console.log(JSON.stringify({ rounds: ROUNDS, samples, ratios, sink }));
  process.exit(0);
}

console.log(
  `host matcher: decisions per CPU second (one core), median of ${ROUNDS} rounds of about ${ROUND_CPU_MS} ms CPU each`,
);
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores (shared; load average ${loadavg()[0].toFixed(2)})`,
);
console.log('');
console.log(`${'scenario'.padEnd(52)}${'median'.padStart(12)}${'min'.padStart(13)}${'max'.padStart(13)}`);
for (const [key, scenario] of Object.entries(scenarios)) {
  const values = results.get(key);
  console.log(
    `${scenario.label.padEnd(52)}${format(median(values))} ${format(Math.min(...values))} ${format(Math.max(...values))}`,
  );
}
const exact1 = median(results.get('exact1'));
const ratio = median(ratios);
console.log('');
console.log(
  `ratio 10,000 entries / 1 entry (exact host), median of ${ROUNDS} paired rounds: ${ratio.toFixed(3)} ` +
    `(range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}; target >= 0.95)`,
);
console.log(`exact host, 1 entry: ${format(exact1).trim()} decisions/s (target >= 8,000,000)`);
if (sink === 0) console.log(''); // keeps the results observable
