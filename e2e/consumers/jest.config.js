import preset from '../../jest.preset.js';

// Each consumer app is installed from the registry, compiled and started: minutes, not seconds.
// The spec files run one after the other (maxWorkers 1): the two cores are shared.
export default { ...preset, displayName: 'consumers', testTimeout: 240_000, maxWorkers: 1 };
