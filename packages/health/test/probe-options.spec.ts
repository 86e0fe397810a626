import { UpgateConfigError } from '@upgate/config';
import {
  PROBE_OPTION_DEFAULTS,
  type ProbeOptions,
  probeOptionProblems,
  resolveProbeOptions,
} from '../src/probe/index.js';

describe('probe options', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveProbeOptions({});
    expect(resolved).toEqual({
      probes: new Map(),
      readinessPaths: new Set(),
      startupPath: undefined,
      ...PROBE_OPTION_DEFAULTS,
    });
    expect(PROBE_OPTION_DEFAULTS).toEqual({
      probeTimeoutMs: 3000,
      probeCacheMs: 0,
      probeDetails: 'none',
      shutdownDelayMs: 0,
    });
  });

  it('keeps every given value', () => {
    const ping = () => ({ database: { status: 'up' as const } });
    const resolved = resolveProbeOptions({
      probes: { '/up': [], '/ready': [ping] },
      probeTimeoutMs: 800,
      probeCacheMs: 1000,
      probeDetails: 'full',
      shutdownDelayMs: 5000,
    });
    expect(resolved.probes.get('/ready')).toEqual([ping]);
    expect(resolved.probes.get('/up')).toEqual([]);
    expect(resolved).toMatchObject({
      probeTimeoutMs: 800,
      probeCacheMs: 1000,
      probeDetails: 'full',
      shutdownDelayMs: 5000,
    });
  });

  it('names every bad value at once, with the form it should take', () => {
    const options = {
      probes: { '/ready': [() => ({}), 'database'], '/live': 'none' },
      probeTimeoutMs: 0,
      probeCacheMs: 1.5,
      probeDetails: 'verbose',
      shutdownDelayMs: '5s',
    } as unknown as ProbeOptions;
    let thrown: unknown;
    try {
      resolveProbeOptions(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UpgateConfigError);
    expect((thrown as UpgateConfigError).message).toBe(
      [
        'upgate: invalid settings (6 problems):',
        '  - probeTimeoutMs: 0 is not a duration; write a whole number of milliseconds from 1 to 2147483647 (e.g. 3000)',
        '  - probeCacheMs: 1.5 is not a duration; write a whole number of milliseconds from 0 to 2147483647 (e.g. 0 (no reuse) or 1000)',
        '  - shutdownDelayMs: "5s" is not a duration; write a whole number of milliseconds from 0 to 2147483647 (e.g. 0, or 5000 on Kubernetes)',
        `  - probeDetails: "verbose" is not a detail level; write 'none' (status only, the default) or 'full' (terminus' result)`,
        `  - probes['/ready'][1]: "database" is not a health indicator; write a function returning a terminus result, e.g. () => db.pingCheck('database')`,
        `  - probes['/live']: "none" is not a list of health indicators; write an array such as [() => db.pingCheck('database')], or [] for none`,
      ].join('\n'),
    );
  });

  it('rejects probes that are not a map', () => {
    expect(probeOptionProblems({ probes: ['/up'] } as unknown as ProbeOptions)).toEqual([
      {
        setting: 'probes',
        value: 'an array of 1',
        message:
          "is not a map of probe paths to health indicators; write e.g. { '/up': [], '/ready': [() => db.pingCheck('database')] }",
      },
    ]);
  });

  it('makes the paths with checks the readiness paths, the startup path excepted, unless readinessPaths is given', () => {
    const ping = () => ({ database: { status: 'up' as const } });
    const inferred = resolveProbeOptions({
      probes: { '/up': [], '/ready': [ping], '/startup': [ping] },
      startupPath: '/startup',
    });
    expect(inferred.readinessPaths).toEqual(new Set(['/ready']));
    expect(inferred.startupPath).toBe('/startup');
    const given = resolveProbeOptions({ probes: { '/up': [ping] }, readinessPaths: ['/ready'] });
    expect(given.readinessPaths).toEqual(new Set(['/ready']));
  });

  it('names bad readiness and startup paths, with the fix', () => {
    expect(
      probeOptionProblems({
        readinessPaths: ['/ready', '/live', 7, '/startup'],
        startupPath: '/startup',
      } as unknown as ProbeOptions),
    ).toEqual([
      {
        setting: 'readinessPaths[2]',
        value: '7',
        message: "is not a path; write a path such as '/ready'",
      },
      {
        setting: 'readinessPaths[3]',
        value: '"/startup"',
        message:
          'is the startup path too, which answers 200 for good once the app has started; give readiness a path of its own',
      },
    ]);
    expect(probeOptionProblems({ startupPath: '/started', readinessPaths: '/ready' } as never)).toEqual([
      { setting: 'readinessPaths', value: '"/ready"', message: "is not a list of paths; write e.g. ['/ready']" },
    ]);
    expect(probeOptionProblems({ startupPath: true } as never)).toEqual([
      { setting: 'startupPath', value: 'true', message: "is not a path; write a path such as '/startup'" },
    ]);
  });

  it('accepts a terminus HealthCheckAttempt (a thenable) as an indicator', () => {
    const attempt = { then: () => undefined };
    expect(probeOptionProblems({ probes: { '/up': [attempt as never] } })).toEqual([]);
  });
});
