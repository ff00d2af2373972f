import { describeRpcLinkContract } from '../testing/index.js';
import { tcpRpcLink } from './index.js';

describeRpcLinkContract('tcp (the default)', async () => ({ link: tcpRpcLink, close: async () => {} }));
