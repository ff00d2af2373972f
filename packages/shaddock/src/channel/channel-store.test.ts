import { describeChannelStoreContract } from '../testing/index.js';
import { MemoryChannelStore } from './index.js';

describeChannelStoreContract('memory', () => new MemoryChannelStore());
