// The in-process figures (apps/decisions-app.ts, on the server core): the server gate's cost per
// decision on parsed requests, the framework's own cost per request, and what the module adds to an
// ordinary request (set beside a request's whole cost over sockets in run.js).
import { runOnServerCore } from '../lib/processes.js';
import { median } from '../lib/stats.js';

/** @returns {Promise<{ rows: import('../lib/report.js').Row[], moduleCostNs: Record<string, number[]> }>} */
export async function decisionRows(decisionsApp) {
  const { decisions, framework } = JSON.parse((await runOnServerCore([decisionsApp])).trim().split('\n').at(-1));
  const rows = Object.entries(decisions).map(([name, values]) => ({
    label: `Server gate: ${name} (ns per request event)`,
    values,
    unit: 'ns',
  }));
  const exact = decisions['allowed exact host'];
  const ungated = decisions['no gate (allowed exact host)'];
  // What the server gate adds to an allowed request: its emit minus the same emit without it.
  const serverGateNs = exact.map((value, round) => value - ungated[round]);
  /** Per adapter, per round: what the module adds to an ordinary request, ns. */
  const moduleCostNs = {};
  for (const [adapter, { without, with: withModule }] of Object.entries(framework)) {
    const Adapter = adapter[0].toUpperCase() + adapter.slice(1);
    const inFramework = withModule.map((ns, round) => ns - without[round]);
    moduleCostNs[adapter] = inFramework.map((ns, round) => ns + serverGateNs[round]);
    rows.push(
      {
        label: `${Adapter}: GET /hello in-process (the handler called directly), without the module (µs)`,
        values: without.map((ns) => ns / 1000),
        unit: 'µs',
      },
      {
        // Direct calls meet no server gate: with the module, the framework runs its framework gate
        // more, which finds the mark the server gate leaves and passes the request on.
        label: `${Adapter}: framework gate on a request the server gate passed, CPU with − without it (ns)`,
        values: inFramework,
        unit: 'ns',
      },
      {
        label: `${Adapter}: the module's cost on an ordinary request: server gate + framework gate (ns)`,
        values: moduleCostNs[adapter],
        unit: 'ns',
        derivation: `${fmtNs(serverGateNs)} ns server gate (with − without it) + ${fmtNs(inFramework)} ns in the framework`,
      },
    );
  }
  return { rows, moduleCostNs };
}

const fmtNs = (values) => Math.round(median(values)).toLocaleString('en-US');
