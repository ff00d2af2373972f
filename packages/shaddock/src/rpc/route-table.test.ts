import { describe, expect, it } from 'vitest';
import { decodePayload } from '../transport/index.js';
import { MAX_ROUTE_ID, type RpcTarget } from './protocol.js';
import { RouteTable } from './route-table.js';

const target = (method: string, serverType = 'chat'): RpcTarget => ({
  namespace: 'user',
  serverType,
  remote: 'chatRemote',
  method,
});

describe('RouteTable', () => {
  it('gives one route per four names, whatever the object, with the names encoded', () => {
    const table = new RouteTable();
    const add = table.resolve(target('add'));
    expect(table.resolve(target('add'))).toBe(add);
    const kick = table.resolve(target('kick'));
    expect(kick.id).not.toBe(add.id);
    expect(table.resolve(target('add'))).toBe(add);
    expect(table.resolve({ ...target('add'), namespace: 'sys' }).id).not.toBe(add.id);
    expect(table.resolve(target('add', 'area')).id).not.toBe(add.id);
    const names = Buffer.concat([Buffer.from([0x94]), add.names]);
    expect(decodePayload(names)).toEqual(['user', 'chat', 'chatRemote', 'add']);
  });

  it('follows a target object changed between calls', () => {
    const table = new RouteTable();
    const changing = { namespace: 'user' as const, serverType: 'chat', remote: 'chatRemote', method: 'add' };
    const first = table.resolve(changing);
    changing.method = 'kick';
    expect(table.resolve(changing)).toMatchObject({ method: 'kick' });
    expect(table.resolve(changing).id).not.toBe(first.id);
  });

  it('gives no id past the last one, and still the names', () => {
    const table = new RouteTable();
    for (let index = 0; index <= MAX_ROUTE_ID; index++) table.resolve(target(`m${index}`));
    expect(table.resolve(target('m0')).id).toBe(0);
    const extra = table.resolve(target('one too many'));
    expect(extra.id).toBe(-1);
    expect(decodePayload(Buffer.concat([Buffer.from([0x94]), extra.names]))).toEqual([
      'user',
      'chat',
      'chatRemote',
      'one too many',
    ]);
  });
});
