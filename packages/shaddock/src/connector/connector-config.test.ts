import { describe, expect, it } from 'vitest';
import { resolveConnectorConfig } from './connector-config.js';

describe('resolveConnectorConfig', () => {
  it('fills in Pomelo-like defaults', () => {
    expect(resolveConnectorConfig()).toMatchObject({
      heartbeatSeconds: 10,
      timeoutMs: 20_000,
      handshakeTimeoutMs: 10_000,
      useDict: true,
      dictionaryMode: 'auto',
      useProtobuf: undefined,
      maxPackageSize: 1024 * 1024,
      maxBufferedBytes: 4 * 1024 * 1024,
      maxPendingRequests: 256,
      pushScheduler: 'direct',
      noDelay: true,
      maxConnections: 0,
      maxConnectionsPerIp: 64,
    });
    expect(resolveConnectorConfig({ maxConnectionsPerIp: 0 }).maxConnectionsPerIp).toBe(0);
    expect(resolveConnectorConfig({ heartbeat: 0 }).timeoutMs).toBe(0);
    expect(resolveConnectorConfig({ heartbeat: 3, timeout: 0.5 }).timeoutMs).toBe(500);
    expect(resolveConnectorConfig({ realIpHeader: 'X-Real-IP' }, 100)).toMatchObject({
      realIpHeader: 'x-real-ip',
      maxConnections: 100,
    });
  });

  it.each([
    [{ heartbeat: 1.5 }, /heartbeat/],
    [{ timeout: -1 }, /timeout/],
    [{ maxPackageSize: 16 * 1024 * 1024 }, /maxPackageSize/],
    [{ maxPendingRequests: 0 }, /maxPendingRequests/],
    [{ rateLimit: { requests: 0, perMs: 1000 } }, /rateLimit.requests/],
    [{ dictionaryMode: 'fixed' as 'stable' }, /dictionaryMode/],
    [{ maxConnectionsPerIp: -1 }, /maxConnectionsPerIp/],
    [{ maxConnectionsPerIp: 2.5 }, /maxConnectionsPerIp/],
  ])('refuses %j', (config, message) => {
    expect(() => resolveConnectorConfig(config)).toThrow(message);
  });
});
