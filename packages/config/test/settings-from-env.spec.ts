import { describe, expect, it } from '@jest/globals';
import { settingsFromEnv } from '../src/index.js';
import { problemLines } from './support/temp-project.js';

describe('settingsFromEnv', () => {
  it('reads every variable, trimming spaces around list entries and normalising hosts', () => {
    expect(
      settingsFromEnv({
        ALLOWED_HOSTS: 'App.Example.com, .example.org ,[2001:DB8::1]',
        HEALTH_PROBE_PATHS: '/up, /ready',
        TRUST_PROXY: 'loopback, 10.0.0.0/8',
        HOST_REJECT_STATUS: '421',
        NODE_ENV: 'production',
        PORT: '3000',
      }),
    ).toEqual({
      allowedHosts: ['app.example.com', '.example.org', '[2001:db8::1]'],
      probePaths: ['/up', '/ready'],
      trustProxy: ['loopback', '10.0.0.0/8'],
      rejectStatus: 421,
      environment: 'production',
      port: 3000,
    });
  });

  it('gives only what is set, and ignores variables that are not near its own names', () => {
    expect(settingsFromEnv({ PORT: '8080', PATH: '/usr/bin', HOME: '/root', HTTP_PROXY: 'http://proxy:3128' })).toEqual(
      { port: 8080 },
    );
    expect(settingsFromEnv({})).toEqual({});
  });

  it('reads TRUST_PROXY true and false in any case', () => {
    expect(settingsFromEnv({ TRUST_PROXY: 'TRUE' })).toEqual({ trustProxy: true });
    expect(settingsFromEnv({ TRUST_PROXY: 'false' })).toEqual({ trustProxy: false });
  });

  it('names the variable, the value and the form for each bad value, all at once', () => {
    expect(
      problemLines(() =>
        settingsFromEnv({
          ALLOWED_HOSTS: 'https://app.example.com,app.example.com:http',
          HEALTH_PROBE_PATHS: 'up,/up?x,/up#a',
          TRUST_PROXY: 'yes',
          HOST_REJECT_STATUS: '404',
          PORT: 'eighty',
        }),
      ),
    ).toEqual([
      'ALLOWED_HOSTS: "https://app.example.com" is a URL; write the host alone: "app.example.com"',
      'ALLOWED_HOSTS: "app.example.com:http" has port "http"; a port is 1-65535',
      'HEALTH_PROBE_PATHS: "up" is not an absolute path; write "/up"',
      'HEALTH_PROBE_PATHS: "/up?x" has a query ("?"); write the path alone: "/up"',
      'HEALTH_PROBE_PATHS: "/up#a" has a fragment ("#"); write the path alone: "/up"',
      'TRUST_PROXY: "yes" is not true or false; write true, false, or a comma-separated list of addresses, networks, "loopback" and "private", e.g. TRUST_PROXY=loopback,10.0.0.0/8',
      'HOST_REJECT_STATUS: "404" is not a status upgate sends for a disallowed host; write 400 (as Django), 403 (as Rails) or 421 (Misdirected Request)',
      'PORT: "eighty" must be an integer port from 1 to 65535, e.g. 3000',
    ]);
  });

  it('checks each TRUST_PROXY entry', () => {
    expect(problemLines(() => settingsFromEnv({ TRUST_PROXY: 'loopback,10.0.0.1/8,proxy.internal' }))).toEqual([
      'TRUST_PROXY: "10.0.0.1/8" has host bits set; write the network address: "10.0.0.0/8"',
      'TRUST_PROXY: "proxy.internal" is not an address, a network or a range name; write "10.0.0.1", "10.0.0.0/8", "fd00::/8", "loopback" or "private"',
    ]);
  });

  it('refuses empty variables and empty list entries instead of ignoring them', () => {
    expect(
      problemLines(() => settingsFromEnv({ ALLOWED_HOSTS: '', NODE_ENV: ' ', HEALTH_PROBE_PATHS: '/up,,/ready,' })),
    ).toEqual([
      'ALLOWED_HOSTS: "" is empty; give a comma-separated list, e.g. ALLOWED_HOSTS=app.example.com,.example.org, or unset it',
      'HEALTH_PROBE_PATHS: "/up,,/ready," has an empty entry; remove the extra comma: "/up,/ready"',
      'NODE_ENV: " " is empty; set it to the environment, e.g. NODE_ENV=production, or unset it',
    ]);
  });

  it('refuses a port out of range and a status with extra text', () => {
    expect(problemLines(() => settingsFromEnv({ PORT: '0', HOST_REJECT_STATUS: '403 Forbidden' }))).toEqual([
      'HOST_REJECT_STATUS: "403 Forbidden" is not a status upgate sends for a disallowed host; write 400 (as Django), 403 (as Rails) or 421 (Misdirected Request)',
      'PORT: "0" must be an integer port from 1 to 65535, e.g. 3000',
    ]);
  });

  it('asks "did you mean" for a misspelt variable set while the right one is not', () => {
    expect(
      problemLines(() =>
        settingsFromEnv({
          ALLOWED_HOST: 'app.example.com',
          HEALTH_PROBE_PATH: '/up',
          TRUSTED_PROXIES: 'loopback',
          HOST_REJECT_STAUTS: '403',
        }),
      ),
    ).toEqual([
      'ALLOWED_HOST: "app.example.com" is not read by upgate; did you mean ALLOWED_HOSTS?',
      'HEALTH_PROBE_PATH: "/up" is not read by upgate; did you mean HEALTH_PROBE_PATHS?',
      'TRUSTED_PROXIES: "loopback" is not read by upgate; did you mean TRUST_PROXY?',
      'HOST_REJECT_STAUTS: "403" is not read by upgate; did you mean HOST_REJECT_STATUS?',
    ]);
    expect(problemLines(() => settingsFromEnv({ allowed_hosts: 'app.example.com' }))).toEqual([
      'allowed_hosts: "app.example.com" is not read by upgate; did you mean ALLOWED_HOSTS?',
    ]);
  });

  it('asks "did you mean" up to two letters more or fewer, not three, and not for unrelated variables', () => {
    expect(
      problemLines(() =>
        settingsFromEnv({ ALLOWED_HOS: 'a.example.com', TRUST_PROXY_ON: 'true', HOST_REJECT_STAT: '403' }),
      ),
    ).toEqual([
      'ALLOWED_HOS: "a.example.com" is not read by upgate; did you mean ALLOWED_HOSTS?',
      'TRUST_PROXY_ON: "true" is not read by upgate; did you mean TRUST_PROXY?',
      'HOST_REJECT_STAT: "403" is not read by upgate; did you mean HOST_REJECT_STATUS?',
    ]);
    expect(settingsFromEnv({ ALLOWED_HO: 'a.example.com', TRUST_PROXY_ONE: 'true', HOST_REJECT_STA: '403' })).toEqual(
      {},
    );
    // A Kubernetes pod's environment: a variable per port of every service in the namespace.
    const pod: Record<string, string> = { HOSTNAME: 'web-7c7168a662c1', HOME: '/root', PATH: '/usr/bin' };
    for (const service of ['POSTGRES', 'REDIS', 'KUBERNETES', 'ALLOWED', 'HOSTS']) {
      for (const suffix of ['SERVICE_HOST', 'SERVICE_PORT', 'PORT', 'PORT_5432_TCP', 'PORT_5432_TCP_ADDR'])
        pod[`${service}_${suffix}`] = '10.0.0.1';
    }
    expect(settingsFromEnv(pod)).toEqual({});
  });

  it('leaves a near-miss alone when the right variable is set too', () => {
    expect(settingsFromEnv({ ALLOWED_HOSTS: 'app.example.com', ALLOWED_HOST: 'other.example.com' })).toEqual({
      allowedHosts: ['app.example.com'],
    });
  });

  it('reads process.env when given no argument', () => {
    const saved = process.env.HOST_REJECT_STATUS;
    process.env.HOST_REJECT_STATUS = '403';
    try {
      expect(settingsFromEnv().rejectStatus).toBe(403);
    } finally {
      if (saved === undefined) delete process.env.HOST_REJECT_STATUS;
      else process.env.HOST_REJECT_STATUS = saved;
    }
  });
});
