import { ErrorCode, ShaddockError } from '../errors.js';
import type { MemoryPlacementTable, PlacementClaim, PlacementEntry } from '../placement/index.js';

/** A server's call on the master's placement table (over its monitor connection). */
export type PlacementOperation =
  | { readonly name: 'claim'; readonly kind: string; readonly key: string; readonly candidate: string }
  | { readonly name: 'owner'; readonly kind: string; readonly key: string }
  | { readonly name: 'release'; readonly kind: string; readonly key: string; readonly owner: string }
  | { readonly name: 'release-server'; readonly serverId: string }
  | { readonly name: 'owned-by'; readonly serverId: string };

/** What each operation answers. */
export type PlacementAnswer = PlacementClaim | string | boolean | readonly PlacementEntry[] | null;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const FIELDS: Record<PlacementOperation['name'], readonly string[]> = {
  claim: ['kind', 'key', 'candidate'],
  owner: ['kind', 'key'],
  release: ['kind', 'key', 'owner'],
  'release-server': ['serverId'],
  'owned-by': ['serverId'],
};

/** Reads an operation, or `undefined` when it is not one (every field a string). */
export function parsePlacementOperation(value: unknown): PlacementOperation | undefined {
  if (!isObject(value) || typeof value['name'] !== 'string' || !Object.hasOwn(FIELDS, value['name']))
    return undefined;
  const fields = FIELDS[value['name'] as PlacementOperation['name']];
  return fields.every((field) => typeof value[field] === 'string')
    ? (value as PlacementOperation)
    : undefined;
}

/**
 * Runs an operation on the master's table. A server frees another's keys only once that server is
 * out of membership (`isMember`): a late word about a server that left cannot free the keys of its
 * next run. Throws `SHADDOCK_ERR_PLACEMENT_INVALID` for a bad kind, key or owner.
 */
export function runPlacementOperation(
  table: MemoryPlacementTable,
  operation: PlacementOperation,
  isMember: (serverId: string) => boolean,
): PlacementAnswer {
  switch (operation.name) {
    case 'claim':
      return table.claimNow(operation.kind, operation.key, operation.candidate);
    case 'owner':
      return table.ownerNow(operation.kind, operation.key) ?? null;
    case 'release':
      return table.releaseNow(operation.kind, operation.key, operation.owner);
    case 'release-server':
      return isMember(operation.serverId) ? [] : table.releaseServerNow(operation.serverId);
    case 'owned-by':
      return table.ownedByNow(operation.serverId);
  }
}

/** The error a failed operation carries back to the server. */
export function placementFailure(error: unknown): { code: string; message: string } {
  if (error instanceof ShaddockError) return { code: error.code, message: error.message };
  return { code: ErrorCode.MasterState, message: error instanceof Error ? error.message : String(error) };
}
