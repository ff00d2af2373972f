import { ClientError, ClientErrorCode, type EndpointFailure } from '@shaddock/client';
import { describe, expect, it } from 'vitest';
import { entryRequest, FAILED_FOR_MS } from './chat-room.js';

function failure(port: number, at: number): EndpointFailure {
  return {
    endpoint: { host: '127.0.0.1', port },
    error: new ClientError(ClientErrorCode.ConnectionLost, 'lost'),
    at,
  };
}

describe('entryRequest, what the page asks the gate', () => {
  it('is the name alone when nothing failed lately', () => {
    expect(entryRequest('ann')).toEqual({ username: 'ann' });
    expect(entryRequest('ann', [failure(3050, 0)], FAILED_FOR_MS)).toEqual({ username: 'ann' });
  });

  it('names the connectors that failed lately, the newest at most 16', () => {
    const now = 1_000_000;
    expect(entryRequest('ann', [failure(3050, now - FAILED_FOR_MS), failure(3051, now - 1)], now)).toEqual({
      username: 'ann',
      failed: [{ host: '127.0.0.1', port: 3051 }],
    });
    const many = Array.from({ length: 20 }, (_, index) => failure(4000 + index, now - 20 + index));
    expect(entryRequest('ann', many, now).failed?.map((address) => address.port)).toEqual(
      Array.from({ length: 16 }, (_, index) => 4004 + index),
    );
  });
});
