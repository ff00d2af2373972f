// Runs the chat's `scale` environment on this machine, no master: every server that
// config/servers.json lists for the environment as its own process, started exactly as on any
// host (`shaddock server --env <env> --id <id> --dir <this example>`), its output prefixed by its
// id. The servers find each other through NATS and keep rooms in Redis (config/cluster.json).
// Ctrl-C stops them all gracefully; a second Ctrl-C kills what is left.
//
//   node scripts/scale-local.js            # the `scale` environment
//   node scripts/scale-local.js other-env  # another one of servers.json
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
const env = process.argv[2] ?? 'scale';

/** The `shaddock` command of the framework this example depends on: `<package>/bin/shaddock.js`. */
const shaddockMain = createRequire(join(EXAMPLE, 'package.json')).resolve('shaddock');
const SHADDOCK = join(dirname(shaddockMain), '..', 'bin', 'shaddock.js');

/** The servers of `env` in config/servers.json, in its order: `{ id, serverType, … }`. */
function serversOf(environment) {
  const file = join(EXAMPLE, 'config', 'servers.json');
  const byType = JSON.parse(readFileSync(file, 'utf8'))[environment];
  if (byType === undefined || Object.keys(byType).length === 0) {
    throw new Error(`${file} lists no server for the environment "${environment}"`);
  }
  return Object.entries(byType).flatMap(([serverType, list]) =>
    list.map((server) => ({ ...server, serverType })),
  );
}

/** Writes each complete line of `stream` to `out` with `prefix` in front. */
function prefixLines(stream, prefix, out) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (text) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => {
    if (rest !== '') out.write(`${prefix}${rest}\n`);
  });
}

const servers = serversOf(env);
const width = Math.max(...servers.map((server) => server.id.length));
const children = new Map();
let stopping = false;
let failed = false;

for (const server of servers) {
  const args = [SHADDOCK, 'server', '--env', env, '--id', server.id, '--dir', EXAMPLE];
  const child = spawn(process.execPath, args, { cwd: EXAMPLE, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${server.id.padEnd(width)}] `;
  prefixLines(child.stdout, prefix, process.stdout);
  prefixLines(child.stderr, prefix, process.stderr);
  children.set(server.id, child);
  child.on('exit', (code, signal) => {
    children.delete(server.id);
    // a server stopped by an order (`shaddock stop`) exits 0; one that failed or was killed does not
    if (!stopping) process.stdout.write(`${prefix}exited (${signal ?? `code ${code}`})\n`);
    if (!stopping && code !== 0) failed = true;
    if (children.size > 0) return;
    console.log(`every server of "${env}" has stopped`);
    process.exit(failed ? 1 : 0);
  });
}

const gate = servers.find((server) => server.webPort !== undefined);
console.log(
  `${servers.length} servers of "${env}" starting: ${servers.map((server) => server.id).join(', ')}` +
    (gate === undefined
      ? ''
      : `\nOpen http://${gate.clientHost ?? gate.host}:${gate.webPort}/ once they run.`) +
    '\nCtrl-C stops them all.',
);

/** First signal: every server stops gracefully (SIGTERM); a second one kills what is left. */
function stopAll() {
  const signal = stopping ? 'SIGKILL' : 'SIGTERM';
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
