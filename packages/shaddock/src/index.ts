/**
 * `shaddock`: the framework. Until the cluster runtime lands, it re-exports the wire protocol it
 * is built on, so applications can already depend on one package name.
 */
export * from '@shaddock/protocol';

/** The framework's version. */
export const version = '0.1.0';
