// Shared jest set-up for every project. NestJS 12 is ESM-only, so jest runs in ESM mode
// (NODE_OPTIONS=--experimental-vm-modules, set by each project's test target) and ts-jest emits ESM.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Load sibling workspace packages from their TypeScript sources (see each package's "exports").
  testEnvironmentOptions: { customExportConditions: ['@upgate/source', 'node', 'node-addons'] },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testTimeout: 20000,
};
