import preset from '../../jest.preset.js';

export default { ...preset, displayName: 'health', setupFiles: ['<rootDir>/test/support/production-node-env.js'] };
