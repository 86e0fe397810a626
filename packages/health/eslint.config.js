import baseConfig from '../../eslint.config.js';

// The benchmark's app imports @upgate/health by its name, as an app does, so that it measures the
// built package (dist/) rather than the sources; the module-boundaries rule otherwise wants a
// project's own files imported by relative path. Its options are the workspace's, plus that.
const [severity, options] = baseConfig.find((config) => config.rules?.['@nx/enforce-module-boundaries']).rules[
  '@nx/enforce-module-boundaries'
];

export default [
  ...baseConfig,
  {
    files: ['bench/apps/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': [severity, { ...options, allowCircularSelfDependency: true }] },
  },
];
