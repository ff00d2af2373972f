import { describe, expect, it } from 'vitest';
import { RouteDictionary } from './dictionary.js';
import { ProtocolError } from './errors.js';

describe('route dictionary', () => {
  it('codes the sorted handler routes from 1, then dictionary.json routes in order', () => {
    const dictionary = RouteDictionary.fromRoutes(
      ['gate.gateHandler.queryEntry', 'chat.chatHandler.send', 'connector.entryHandler.enter'],
      ['onChat', 'onAdd', 'chat.chatHandler.send'],
    );
    expect(dictionary.toJSON()).toEqual({
      'chat.chatHandler.send': 1,
      'connector.entryHandler.enter': 2,
      'gate.gateHandler.queryEntry': 3,
      onChat: 4,
      onAdd: 5,
    });
    expect(dictionary.codeOf('onAdd')).toBe(5);
    expect(dictionary.routeOf(4)).toBe('onChat');
    expect(dictionary.codeOf('missing')).toBeUndefined();
  });

  it('gives the same codes and version in every process, whatever the discovery order', () => {
    const one = RouteDictionary.fromRoutes(['b.h.m', 'a.h.m'], ['onX']);
    const two = RouteDictionary.fromRoutes(['a.h.m', 'b.h.m', 'a.h.m'], ['onX']);
    expect(two.toJSON()).toEqual(one.toJSON());
    expect(two.version).toBe(one.version);
    expect(RouteDictionary.fromRoutes(['a.h.m'], ['onX']).version).not.toBe(one.version);
  });

  it('in stable mode, codes come from dictionary.json alone', () => {
    const dictionary = RouteDictionary.stable(['z.h.m', 'a.h.m']);
    expect(dictionary.toJSON()).toEqual({ 'z.h.m': 1, 'a.h.m': 2 });
  });

  it('round-trips through the handshake form', () => {
    const dictionary = RouteDictionary.fromRoutes(['a.b.c'], ['onD']);
    const received = RouteDictionary.fromCodes(dictionary.toJSON());
    expect(received.routeOf(2)).toBe('onD');
    expect(received.version).toBe(dictionary.version);
  });

  it('rejects unknown and invalid codes', () => {
    expect(() => RouteDictionary.stable(['a']).routeOf(2)).toThrow(ProtocolError);
    expect(() => RouteDictionary.fromCodes({ a: 0 })).toThrow(ProtocolError);
    expect(() => RouteDictionary.fromCodes({ a: 1, b: 1 })).toThrow(ProtocolError);
    expect(() => RouteDictionary.fromCodes({ a: 70000 })).toThrow(ProtocolError);
  });
});
