import preset from '../../jest.preset.js';

export default {
  ...preset,
  displayName: 'demo',
  // The tests spawn the built app and the `upgate` bin, as they run in production.
  globalSetup: '<rootDir>/test/support/build.js',
  // Spawned processes share two cores with everything else: one file at a time.
  maxWorkers: 1,
  testTimeout: 60_000,
};
