/**
 * What implementations of the logger, and their tests, share. Kept out of `index.ts` because it
 * imports vitest, which the package's public entry must never load.
 */
export { describeLoggerContract, type LoggerContractOptions, type LoggerFactory } from './logger-contract.js';
