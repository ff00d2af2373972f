// A child process serving one chat remote over RPC with a cluster secret, for rpc-auth.test.ts.
// Prints `{"port":…}` once listening, `{"ran":"mark","tag":…}` each time the remote with a side
// effect runs, and its log lines (pino JSON, warn and up); exits when its stdin closes. Settings
// from the environment: RPC_AUTH_SECRET (absent: the development secret), RPC_AUTH_MAX_FRAME,
// RPC_AUTH_MAX_PENDING (bytes), RPC_AUTH_HANDSHAKE_MS, RPC_AUTH_IDLE_MS.
import { createLogger } from '../../src/logging/index.js';
import { RemoteRegistry, RpcServer, type RpcServerOptions } from '../../src/rpc/index.js';

let marks = 0;
const remotes = new RemoteRegistry();
remotes.registerRemote('chat', 'chatRemote', {
  mark: (tag: unknown) => {
    marks++;
    process.stdout.write(`${JSON.stringify({ ran: 'mark', tag })}\n`);
    return marks;
  },
  count: () => marks,
  echo: (value: unknown) => value,
  big: (bytes: number) => 'x'.repeat(bytes),
});

const number = (name: string): number | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
};
const settings: Partial<RpcServerOptions> = {};
const secret = process.env['RPC_AUTH_SECRET'];
if (secret) settings.secret = secret;
const maxFrameLength = number('RPC_AUTH_MAX_FRAME');
if (maxFrameLength !== undefined) settings.maxFrameLength = maxFrameLength;
const maxPendingBytes = number('RPC_AUTH_MAX_PENDING');
if (maxPendingBytes !== undefined) settings.maxPendingBytes = maxPendingBytes;
const handshakeTimeout = number('RPC_AUTH_HANDSHAKE_MS');
if (handshakeTimeout !== undefined) settings.handshakeTimeout = handshakeTimeout;
const handshakeIdleTimeout = number('RPC_AUTH_IDLE_MS');
if (handshakeIdleTimeout !== undefined) settings.handshakeIdleTimeout = handshakeIdleTimeout;

const server = new RpcServer({
  host: '127.0.0.1',
  port: 0,
  serverId: 'chat-1',
  remotes,
  logger: createLogger({ serverId: 'chat-1', serverType: 'chat', level: 'warn', file: false }),
  ...settings,
});
const port = await server.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
