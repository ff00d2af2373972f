import { describe, expect, it } from 'vitest';
import { LocalMembership, type ServerInfo } from '../membership/index.js';
import { ConsistentHashRouter, type RpcTarget } from '../rpc/index.js';
import { recordingLogger, waitUntil } from '../testing/index.js';
import { MemoryPlacementTable, type PlacementMove, PlacementService } from './index.js';

function chat(id: string): ServerInfo {
  return { id, serverType: 'chat', host: '127.0.0.1', port: 1, frontend: false };
}

/** A table that counts its claims: what the cache saves. */
class CountingTable extends MemoryPlacementTable {
  claims = 0;
  override claim(kind: string, key: string, candidate: string) {
    this.claims++;
    return super.claim(kind, key, candidate);
  }
}

function setup(serverId = 'connector-1', table = new CountingTable(), servers = ['chat-1', 'chat-2']) {
  const membership = new LocalMembership(servers.map(chat));
  const invoked: { serverId: string; target: RpcTarget; args: unknown[] }[] = [];
  const service = new PlacementService({
    serverId,
    membership,
    table,
    invoke: async (target, route, args) => {
      invoked.push({ serverId: target, target: route, args });
    },
    logger: recordingLogger('warn').logger,
  });
  const moved: PlacementMove[] = [];
  const adopted: PlacementMove[] = [];
  service.on('moved', (move) => moved.push(move));
  service.on('adopted', (move) => adopted.push(move));
  return { membership, table, service, invoked, moved, adopted };
}

const rooms = Array.from({ length: 60 }, (_, index) => `room-${index}`);

describe('PlacementService', () => {
  it('places a new key by the consistent hash, and keeps it there when a server is added', async () => {
    const { membership, service } = setup();
    const ring = new ConsistentHashRouter(membership);
    const before = new Map<string, string>();
    for (const room of rooms) {
      const owner = await service.owner('chat', 'room', room);
      expect(owner).toBe(ring.routeKey('chat', room));
      before.set(room, owner);
    }
    membership.add(chat('chat-3'));
    // the bare hash moves some rooms to the new server: the case placement exists for
    const movedByHash = rooms.filter((room) => ring.routeKey('chat', room) !== before.get(room));
    expect(movedByHash.length).toBeGreaterThan(0);
    for (const room of rooms) expect(await service.owner('chat', 'room', room)).toBe(before.get(room));
    // new rooms do go to the new server, by the same hash
    const fresh = Array.from({ length: 60 }, (_, index) => `new-${index}`);
    const owners = await Promise.all(fresh.map((room) => service.owner('chat', 'room', room)));
    expect(owners).toContain('chat-3');
  });

  it('asks the table once per key, then answers from its cache at once', async () => {
    const { table, service } = setup();
    const first = await Promise.all([1, 2, 3].map(() => service.owner('chat', 'room', 'lobby')));
    expect(new Set(first).size).toBe(1);
    expect(table.claims).toBe(1);
    expect(service.owner('chat', 'room', 'lobby')).toBe(first[0]);
    expect(table.claims).toBe(1);
    const route = service.route('room', (routeParam) => String(routeParam));
    expect(route('lobby', [chat('chat-1'), chat('chat-2')])).toBe(first[0]);
  });

  it('places the keys of an owner that left again at once: moved here, adopted on the new owner', async () => {
    const { membership, service, invoked, moved } = setup();
    const owned = new Map<string, string[]>();
    for (const room of rooms) {
      const owner = await service.owner('chat', 'room', room);
      owned.set(owner, [...(owned.get(owner) ?? []), room]);
    }
    const lost = owned.get('chat-1') ?? [];
    expect(lost.length).toBeGreaterThan(0);
    // the master frees the keys of a server as it leaves, before the others hear it
    await service.table.releaseServer('chat-1');
    membership.remove('chat-1');
    await waitUntil(() => moved.length === lost.length, 5_000, 'every lost room moved');
    expect(moved.map((move) => move.key).sort()).toEqual([...lost].sort());
    expect(moved.every((move) => move.from === 'chat-1' && move.to === 'chat-2')).toBe(true);
    // the new owner is told, once per room, through its system remote
    expect(invoked.map((call) => call.serverId)).toEqual(lost.map(() => 'chat-2'));
    expect(invoked[0]?.target).toEqual({
      namespace: 'sys',
      serverType: 'chat',
      remote: 'placementRemote',
      method: 'adopted',
    });
    expect(invoked.map((call) => call.args[1]).sort()).toEqual([...lost].sort());
    // the rooms of chat-2 did not move
    for (const room of owned.get('chat-2') ?? []) expect(service.knownOwner('room', room)).toBe('chat-2');
  });

  it('frees the keys of an owner a shared table still names after it left, and claims them again', async () => {
    const table = new CountingTable();
    await table.claim('room', 'lobby', 'chat-9');
    const { service, invoked } = setup('connector-1', table);
    const owner = await service.owner('chat', 'room', 'lobby');
    expect(['chat-1', 'chat-2']).toContain(owner);
    expect(invoked).toHaveLength(1);
    expect(invoked[0]?.args).toEqual(['room', 'lobby', 'chat-9']);
  });

  it('hears adoption itself when it is the new owner', async () => {
    const table = new CountingTable();
    await table.claim('room', 'lobby', 'chat-9');
    await table.releaseServer('chat-9');
    const { service, adopted, invoked } = setup('chat-1', table, ['chat-1']);
    expect(await service.owner('chat', 'room', 'lobby')).toBe('chat-1');
    expect(adopted).toEqual([{ kind: 'room', key: 'lobby', from: 'chat-9', to: 'chat-1' }]);
    expect(invoked).toEqual([]);
    // the system remote a claimer elsewhere calls raises the same event
    await service.remote().adopted('room', 'hall', 'chat-9');
    expect(adopted.at(-1)).toEqual({ kind: 'room', key: 'hall', from: 'chat-9', to: 'chat-1' });
    // no server of a type: nothing placed, a clear error
    await expect(async () => service.owner('solo', 'room', 'other')).rejects.toMatchObject({
      code: 'SHADDOCK_ERR_RPC_NO_SERVER_FOR_ROUTE',
    });
  });

  it('forgets a released key, here and wherever the table announces it', async () => {
    const table = new CountingTable();
    const { service } = setup('chat-1', table);
    const other = setup('connector-2', table).service;
    const owner = await service.owner('chat', 'room', 'lobby');
    expect(await other.owner('chat', 'room', 'lobby')).toBe(owner);
    if (owner !== 'chat-1') await table.release('room', 'lobby', owner);
    else expect(await service.release('room', 'lobby')).toBe(true);
    expect(service.knownOwner('room', 'lobby')).toBeUndefined();
    expect(other.knownOwner('room', 'lobby')).toBeUndefined();
  });

  it('refuses a bad key with a clear error', () => {
    const { service } = setup();
    expect(() => service.owner('chat', 'room', '')).toThrow(
      expect.objectContaining({ code: 'SHADDOCK_ERR_PLACEMENT_INVALID' }),
    );
  });
});
