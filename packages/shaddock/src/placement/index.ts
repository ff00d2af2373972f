/**
 * Placement: where stateful keys (rooms, areas) live. `PlacementTable`, the driver interface (key →
 * owning server, claimed atomically), with `MemoryPlacementTable`; `PlacementService` (service
 * `placement`), which routes by it with a per-process cache and tells the app when a key moves
 * because its owner left; `placementRoute`, the route function over it.
 */
export { placementComponent, placementRoute } from './placement-component.js';
export {
  PLACEMENT_REMOTE,
  type PlacementEvents,
  type PlacementMove,
  type PlacementRemote,
  PlacementService,
  type PlacementServiceOptions,
} from './placement-service.js';
export {
  checkPlacement,
  MemoryPlacementTable,
  type PlacementClaim,
  type PlacementEntry,
  type PlacementTable,
  placementField,
  splitPlacementField,
} from './placement-table.js';
