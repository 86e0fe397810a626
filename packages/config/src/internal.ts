/**
 * `@upgate/config/internal`: helpers `@upgate/health` shares with this package. Not public API:
 * they may change in any release, together with `@upgate/health` (the two are released with one
 * version).
 */
export { escapeRequestText, quoteHostValue } from './host/host-text.js';
export { didYouMean } from './validate/did-you-mean.js';
export { isDeployFileReading } from './load/deploy-file-reading.js';
