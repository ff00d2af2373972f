import { describePlacementTableContract } from '../testing/index.js';
import { MemoryPlacementTable } from './index.js';

describePlacementTableContract('memory', async () => {
  const table = new MemoryPlacementTable();
  return { tables: [table, table], close: async () => {} };
});
