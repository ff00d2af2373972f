/** pinus-rpc, loaded as the CommonJS module it is, with the types of `pinus-rpc-types.ts`. */
import { createRequire } from 'node:module';
import type { PinusRpcModule } from './pinus-rpc-types.js';

const require = createRequire(import.meta.url);

export const pinusRpc: PinusRpcModule = require('pinus-rpc');
