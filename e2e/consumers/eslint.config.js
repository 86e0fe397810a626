import baseConfig from '../../eslint.config.js';

// The consumer apps under fixtures/ are not workspace code: they import the packages as installed
// from their tarballs, are compiled by their own tsc inside a temporary folder, and would break
// this project's module boundary (type:e2e imports nothing of ours).
export default [...baseConfig, { ignores: ['fixtures/**'] }];
