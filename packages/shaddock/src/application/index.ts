export { Application, AppState, type ComponentSource, MASTER_TYPE } from './application.js';
export type { Component } from './component.js';
export { type CreateAppOptions, createApp } from './create-app.js';
export type { HandlerContext, HandlerFilter } from './filters.js';
export { LifecycleHook, type LifecycleListener } from './lifecycle.js';
export type { Plugin } from './plugin.js';
export { ServiceRegistry, type Services } from './services.js';
