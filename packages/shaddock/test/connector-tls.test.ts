// TLS on the client port (wss and TLS over TCP), and the certificate reloaded without a restart.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { connect } from '@shaddock/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO, pause, startConnector } from './connector-harness.js';

let folder = '';

/** A self-signed certificate for `name`, written as `<file>.key` / `<file>.crt` in the folder. */
function certificate(file: string, name: string): { key: string; cert: string } {
  const key = path.join(folder, `${file}.key`);
  const cert = path.join(folder, `${file}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { key, cert };
}

/** The common name of the certificate the server presents now. */
function presentedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const name = socket.getPeerCertificate().subject?.CN;
      socket.destroy();
      resolve(String(name));
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'shaddock-tls-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('TLS', () => {
  it.each(['ws', 'tcp'] as const)('serves %s clients over TLS', async (transport) => {
    const ssl = certificate(`serve-${transport}`, 'first.test');
    const harness = await startConnector({ config: { ssl } });
    try {
      const client = await connect({
        host: '127.0.0.1',
        port: harness.port,
        transport,
        tls: { rejectUnauthorized: false },
      });
      expect(await client.request(ECHO, { secure: true })).toEqual({ secure: true });
      await client.close();
    } finally {
      await harness.close();
    }
  });

  it('reloads a replaced certificate without a restart', async () => {
    const ssl = certificate('live', 'first.test');
    const harness = await startConnector({ config: { ssl } });
    try {
      expect(await presentedName(harness.port)).toBe('first.test');
      const next = certificate('next', 'second.test');
      // As certbot and secret mounts do: new files renamed over the old ones.
      await rename(next.key, ssl.key);
      await rename(next.cert, ssl.cert);
      let name = await presentedName(harness.port);
      while (name !== 'second.test') {
        await pause(20);
        name = await presentedName(harness.port);
      }
      const client = await connect({
        host: '127.0.0.1',
        port: harness.port,
        transport: 'tcp',
        tls: { rejectUnauthorized: false },
      });
      expect(await client.request(ECHO, { after: 'reload' })).toEqual({ after: 'reload' });
      await client.close();
      expect(harness.reported).toEqual([]);
    } finally {
      await harness.close();
    }
  });
});
