/**
 * The kernel: what every process is made of, whatever it runs — identity, settings, components
 * and their lifecycle, the services components provide to each other, and the drivers chosen at
 * start-up. It imports no feature folder; features and the bootstrap build on it.
 */
export { type Component, ComponentList } from './component.js';
export { AppState, Kernel, type KernelOptions } from './kernel.js';
export { Lifecycle, LifecycleHook, type LifecycleListener } from './lifecycle.js';
export { ServiceRegistry, type Services } from './services.js';
