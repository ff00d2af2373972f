import { connect } from '@shaddock/client';
import { EchoRoutes, startEchoServer } from './echo-server.js';

// The quick-start demo: an echo server on PORT (default 3010) and one client talking to it.
const server = await startEchoServer(Number(process.env['PORT'] ?? 3010));
console.log(`Shaddock echo demo listening on ws://127.0.0.1:${server.port}`);

const client = await connect({ host: '127.0.0.1', port: server.port, transport: 'ws' });
client.on(EchoRoutes.onEcho, (body) => console.log('push onEcho:', JSON.stringify(body)));
console.log(
  'request echo:',
  JSON.stringify(await client.request(EchoRoutes.echo, { text: 'hello, pomelo' })),
);
console.log(
  'request shout:',
  JSON.stringify(await client.request(EchoRoutes.shout, { text: 'hello, everyone' })),
);
await client.close();

console.log('Demo client done; the server keeps running for other Pomelo clients. Ctrl-C stops it.');
const stop = async (): Promise<void> => {
  await server.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
