import { describe, expect, it } from '@jest/globals';
import { settingsFromObject, type UpgateOptions } from '../src/index.js';
import { problemLines } from './support/temp-project.js';

describe('settingsFromObject', () => {
  it('returns the fields given, allowlist entries normalised and duplicates removed', () => {
    expect(
      settingsFromObject({
        allowedHosts: ['App.Example.COM.', 'app.example.com', '*.example.org', '10.0.0.0/8'],
        probePaths: ['/up', '/ready', '/up'],
        trustProxy: ['loopback'],
        rejectStatus: 403,
        environment: 'production',
        port: 3000,
      }),
    ).toEqual({
      allowedHosts: ['app.example.com', '*.example.org', '10.0.0.0/8'],
      probePaths: ['/up', '/ready'],
      trustProxy: ['loopback'],
      rejectStatus: 403,
      environment: 'production',
      port: 3000,
    });
  });

  it('treats absent and undefined fields as not given', () => {
    expect(settingsFromObject(undefined)).toEqual({});
    expect(settingsFromObject({ port: undefined, trustProxy: true })).toEqual({ trustProxy: true });
  });

  it('names each bad entry by its index, with the form to write', () => {
    expect(
      problemLines(() =>
        settingsFromObject({
          allowedHosts: ['app.example.com', 'https://app.example.com/', 'a..example.com'],
          probePaths: ['/up', 'health'],
          trustProxy: ['127.0.0.1:80'],
        }),
      ),
    ).toEqual([
      'allowedHosts[1]: "https://app.example.com/" is a URL; write the host alone: "app.example.com"',
      'allowedHosts[2]: "a..example.com" has an empty label (".."); write "a.example.com"',
      'probePaths[1]: "health" is not an absolute path; write "/health"',
      'trustProxy[0]: "127.0.0.1:80" has a port; write the address alone: "127.0.0.1"',
    ]);
  });

  it('checks types at run time, for options that come from JavaScript or JSON', () => {
    const options = {
      allowedHosts: 'app.example.com',
      probePaths: ['/up', 42],
      trustProxy: 'true',
      rejectStatus: 404,
      environment: '',
      port: 3000.5,
    } as unknown as UpgateOptions;
    expect(problemLines(() => settingsFromObject(options))).toEqual([
      "allowedHosts: \"app.example.com\" must be a list, e.g. ['app.example.com', '.example.org']",
      'probePaths[1]: 42 must be a string: a path such as "/up"',
      "trustProxy: \"true\" must be true, false or ['loopback', '10.0.0.0/8']",
      'rejectStatus: 404 must be 400 (as Django), 403 (as Rails) or 421 (Misdirected Request)',
      'environment: "" must be the name of an environment, such as "production" or "development"',
      'port: 3000.5 must be an integer port from 1 to 65535, e.g. 3000',
    ]);
  });

  it('asks "did you mean" for a misspelt setting, and leaves other keys to the module passing them on', () => {
    const options = {
      allowedHost: ['app.example.com'],
      probe_paths: ['/up'],
      probes: { '/up': [] },
    } as unknown as UpgateOptions;
    expect(problemLines(() => settingsFromObject(options))).toEqual([
      'allowedHost: is not an upgate setting; did you mean allowedHosts?',
      'probe_paths: is not an upgate setting; did you mean probePaths?',
    ]);
  });

  it('refuses something that is not an object', () => {
    expect(problemLines(() => settingsFromObject(['app.example.com'] as unknown as UpgateOptions))).toEqual([
      'options: ["app.example.com"] must be an object such as { allowedHosts: [\'app.example.com\'] }',
    ]);
  });
});
