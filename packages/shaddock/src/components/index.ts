export { type MonitorComponent, monitorComponent } from './monitor-component.js';
export { type RpcComponent, rpcComponent } from './rpc-component.js';
