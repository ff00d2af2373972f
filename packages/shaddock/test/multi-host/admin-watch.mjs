// Polls `list` through one master's admin port from inside a host's namespace (the test process
// cannot reach the hosts' addresses), on one admin connection (a new one after a failure): one
// JSON line per answer or failure, with when it was asked and answered (epoch ms; the namespaces
// share one clock). It runs until killed, or until its stdin closes.
//
// Args: <host> <port> <username> <password> <intervalMs>
// Out:  { sent, at, ok: true, leader, standbys: [id], servers: [{ id, host, pid }] }
//       { sent, at, ok: false, error }
// The built AdminClient (the package exports none: admins use the CLI); dist is what the CLI runs.
import { AdminClient } from '../../dist/admin/index.js';

const [host, port, username, password, interval] = process.argv.slice(2);
const intervalMs = Number(interval);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

let client;
for (;;) {
  const sent = Date.now();
  try {
    client ??= await AdminClient.connect({ host, port: Number(port), username, password, timeout: 2_000 });
    const rows = await client.list();
    const masters = rows.filter((row) => row.serverType === 'master');
    process.stdout.write(
      `${JSON.stringify({
        sent,
        at: Date.now(),
        ok: true,
        leader: masters.find((row) => row.role === 'leader')?.id ?? null,
        standbys: masters.filter((row) => row.role === 'standby').map((row) => row.id),
        servers: rows
          .filter((row) => row.serverType !== 'master')
          .map((row) => ({ id: row.id, host: row.host, pid: row.pid })),
      })}\n`,
    );
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ sent, at: Date.now(), ok: false, error: error.message })}\n`);
    client?.close().catch(() => {});
    client = undefined;
  }
  await sleep(intervalMs);
}
