import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/dist-tsc', '**/out-tsc', '**/node_modules', '**/coverage'] },
  {
    files: ['**/src/**/*.ts', '**/test/**/*.ts', '**/bench/**/*.ts', '**/scripts/**/*.ts'],
    rules: {
      // The layering of upgate: config depends on nothing of ours, health on config, apps on packages.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          // health loads @upgate/config/kamal lazily (the YAML parser only in apps that read a deploy
          // file) and @upgate/config statically: two entry points of one package, which the rule
          // against static imports of lazy-loaded libraries (made for lazy routes) cannot tell apart.
          checkDynamicDependenciesExceptions: ['@upgate/config', '@upgate/config/*'],
          depConstraints: [
            { sourceTag: 'scope:config', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:health', onlyDependOnLibsWithTags: ['scope:config'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:package'] },
            { sourceTag: 'type:package', notDependOnLibsWithTags: ['type:app'] },
            // The consumer tests use the packages only as packed tarballs installed outside the workspace.
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
];
