/**
 * The bootstrap, the top floor: `createApp()` chooses the drivers, makes the `Application` and,
 * on `start()`, wires the built-in components (RPC, sessions, handlers, channels, the connector)
 * around the kernel.
 */
export { Application, type Plugin } from './application.js';
export { type CreateAppOptions, createApp } from './create-app.js';
export type { DriverPackage } from './driver-packages.js';
export type { DriverContext, Drivers, LogOptions, ServerOrders } from './drivers.js';
