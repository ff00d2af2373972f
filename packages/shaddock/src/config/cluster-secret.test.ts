import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../errors.js';
import { DEVELOPMENT_CLUSTER_SECRET } from '../transport/index.js';
import { clusterSecretOf, resolveClusterSecret } from './cluster-secret.js';
import { type DriverConfig, LOCAL_DRIVER_CONFIG, readDriverConfig } from './drivers-config.js';

const SECRET = 'x'.repeat(32);
const FILE = '/app/config/cluster.json';

function drivers(content: unknown, environment: NodeJS.ProcessEnv = {}): DriverConfig {
  return readDriverConfig(FILE, content, '', environment);
}

describe('the cluster secret a process proves', () => {
  it('is the configured one (the variable wins over the file), in every environment', () => {
    for (const env of ['production', 'development', 'test']) {
      expect(resolveClusterSecret(drivers({ secret: SECRET }), env, '/app')).toEqual({
        secret: SECRET,
        source: 'configured',
      });
    }
    const fromVariable = drivers({ secret: SECRET }, { SHADDOCK_CLUSTER_SECRET: 'y'.repeat(40) });
    expect(resolveClusterSecret(fromVariable, 'production', '/app').secret).toBe('y'.repeat(40));
  });

  it('is the well-known development one without a configured one, outside production', () => {
    expect(resolveClusterSecret(LOCAL_DRIVER_CONFIG, 'development', '/app')).toEqual({
      secret: DEVELOPMENT_CLUSTER_SECRET,
      source: 'development',
    });
    // as createApp fills it in: still the development one
    const filled = drivers({ secret: DEVELOPMENT_CLUSTER_SECRET });
    expect(resolveClusterSecret(filled, 'test', '/app').source).toBe('development');
    expect(clusterSecretOf(LOCAL_DRIVER_CONFIG)).toBe(DEVELOPMENT_CLUSTER_SECRET);
    expect(clusterSecretOf(drivers({ secret: SECRET }))).toBe(SECRET);
  });

  it('refuses production without one, or with the development one, naming the file and the field', () => {
    for (const config of [LOCAL_DRIVER_CONFIG, drivers({ secret: DEVELOPMENT_CLUSTER_SECRET })]) {
      let thrown: unknown;
      try {
        resolveClusterSecret(config, 'production', '/app');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown).toMatchObject({ code: ErrorCode.ConfigMissing, file: FILE, field: 'secret' });
      expect(String(thrown)).toMatch(
        /in production: set "secret" in config\/cluster\.json \(or SHADDOCK_CLUSTER_SECRET\)/,
      );
    }
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => drivers({ secret: 'short' })).toThrow(/at least 32 characters/);
    expect(() => drivers({}, { SHADDOCK_CLUSTER_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});

describe('rpc in config/cluster.*', () => {
  it('takes the transport and the bounds of every peer', () => {
    expect(drivers({}).rpc).toEqual({ transport: 'tcp' });
    expect(
      drivers({
        rpc: {
          transport: 'tcp',
          maxFrameLength: 1_048_576,
          maxPendingBytes: '8388608',
          handshakeTimeout: 3_000,
          handshakeIdleTimeout: 1_000,
        },
      }).rpc,
    ).toEqual({
      transport: 'tcp',
      maxFrameLength: 1_048_576,
      maxPendingBytes: 8_388_608,
      handshakeTimeout: 3_000,
      handshakeIdleTimeout: 1_000,
    });
  });

  it('refuses unknown fields and bounds out of range, naming them', () => {
    expect(() => drivers({ rpc: { maxFrame: 1 } })).toThrow(/rpc\.maxFrame.*unknown field "maxFrame"/);
    expect(() => drivers({ rpc: { maxFrameLength: 10 } })).toThrow(/rpc\.maxFrameLength.*from 1024/);
    expect(() => drivers({ rpc: { handshakeTimeout: 'soon' } })).toThrow(/rpc\.handshakeTimeout/);
    expect(() => drivers({ rpc: 'tcp' })).toThrow(/expected \{ transport/);
  });
});
