// Proof with Pomelo's own code, which nobody on this project wrote: the app template and the web
// page that the npm package pomelo@2.2.7 ships (a devDependency of this workspace; nothing of it is
// copied into the repository). At test time the template's game-server is copied to a temporary
// folder, its one `require('pomelo')` line becomes `require('shaddock/pomelo')`, and it runs with
// the real `shaddock start`. Its config keeps every field; only its ports become free ones (the
// template's fixed 3005/3010/3150 would collide with other tests on a shared machine). The
// template's page (web-server/public) is served by a small static server; the one change made
// while serving is the page's connector port (`var port = "3010";`), set to the test's. Then
// headless Chromium clicks the page's button: `pomelo.init` + `request('connector.entryHandler.entry',
// "hello pomelo")`, and the handler's answer comes back as the page's `alert`.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  alive,
  CHROMIUM,
  CHROMIUM_ARGS,
  decodePinusPackages,
  descendantsOf,
  freePort,
  Message,
  Package,
  type StartedApp,
  startApp,
  waitFor,
} from '@shaddock/test-support';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(join(EXAMPLE, 'package.json'));
/** The installed pomelo@2.2.7. */
const POMELO = dirname(requireHere.resolve('pomelo/package.json'));
/** The workspace's shaddock package, which the temporary app requires as `shaddock/pomelo`. */
const SHADDOCK = realpathSync(join(dirname(requireHere.resolve('shaddock')), '..'));
const SHADDOCK_BIN = join(SHADDOCK, 'bin', 'shaddock.js');
const ENV = 'development';
const ROUTE = 'connector.entryHandler.entry';
/** What the template's entry handler answers. */
const ANSWER = { code: 200, msg: 'game server is ok.' };

const installed = existsSync(CHROMIUM);
const inCi = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false';
if (!installed && !inCi) {
  console.warn(
    `template.test.ts: the page is not driven, no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
}

type ServerEntry = Record<string, unknown> & { id: string };

/** The template's game-server in a temporary folder: the one line changed, its ports made free. */
async function copyTemplate(): Promise<{ dir: string; clientPort: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'shaddock-pomelo-template-'));
  cpSync(join(POMELO, 'template', 'game-server'), dir, { recursive: true });

  const entry = join(dir, 'app.js');
  const original = readFileSync(entry, 'utf8');
  const changed = original.replace("require('pomelo')", "require('shaddock/pomelo')");
  // (The template's files end their lines with CRLF.)
  const before = original.split(/\r?\n/);
  const after = changed.split(/\r?\n/);
  const differing = before.flatMap((line, index) => (line === after[index] ? [] : [[line, after[index]]]));
  expect(differing, 'exactly one line of app.js changes').toEqual([
    ["var pomelo = require('pomelo');", "var pomelo = require('shaddock/pomelo');"],
  ]);
  writeFileSync(entry, changed);
  // The app resolves `shaddock` as an installed app would: from its own node_modules.
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(SHADDOCK, join(dir, 'node_modules', 'shaddock'), 'dir');

  const config = (name: string): string => join(dir, 'config', name);
  const master = JSON.parse(readFileSync(config('master.json'), 'utf8')) as Record<string, ServerEntry>;
  const servers = JSON.parse(readFileSync(config('servers.json'), 'utf8')) as Record<
    string,
    Record<string, ServerEntry[]>
  >;
  const masterPort = await freePort();
  const connectorPort = await freePort();
  const clientPort = await freePort();
  for (const env of Object.keys(master)) (master[env] as ServerEntry)['port'] = masterPort;
  for (const byType of Object.values(servers)) {
    for (const entries of Object.values(byType)) {
      for (const server of entries) {
        server['port'] = connectorPort;
        server['clientPort'] = clientPort;
      }
    }
  }
  writeFileSync(config('master.json'), JSON.stringify(master, null, 2));
  writeFileSync(config('servers.json'), JSON.stringify(servers, null, 2));
  return { dir, clientPort };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.json': 'application/json',
};

/**
 * Serves the template's web-server/public on 127.0.0.1, as its express app would; index.html
 * with the test's connector port in place of the template's 3010 (the page's one setting).
 */
async function servePage(clientPort: number): Promise<{ server: Server; url: string }> {
  const root = join(POMELO, 'template', 'web-server', 'public');
  const page = readFileSync(join(root, 'index.html'), 'utf8');
  expect(page).toContain('var host = "127.0.0.1";');
  expect(page).toContain('var port = "3010";');
  const served = page.replace('var port = "3010";', `var port = "${clientPort}";`);
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://page').pathname));
    const file = join(root, path === sep ? 'index.html' : path);
    if (!file.startsWith(root + sep) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(file.endsWith(`${sep}index.html`) ? served : readFileSync(file));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}/index.html` };
}

/** Whether something accepts TCP connections on this port of 127.0.0.1. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A bare Pomelo client over WebSocket: pinus-protocol's codecs, the body bytes exactly as given. */
async function rawClient(port: number) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  socket.binaryType = 'nodebuffer';
  const responses = new Map<number, (body: string) => void>();
  let handshake: ((body: string) => void) | undefined;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('message', (data: Buffer) => {
    for (const pkg of decodePinusPackages(data)) {
      if (pkg.type === Package.TYPE_HANDSHAKE) handshake?.(pkg.body?.toString('utf8') ?? '');
      if (pkg.type !== Package.TYPE_DATA || pkg.body === null) continue;
      const message = Message.decode(pkg.body);
      responses.get(message.id)?.(message.body.toString('utf8'));
    }
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const answered = new Promise<string>((resolve) => {
    handshake = resolve;
  });
  socket.send(
    Package.encode(
      Package.TYPE_HANDSHAKE,
      Buffer.from(JSON.stringify({ sys: { type: 'test', version: '0.0.1' } })),
    ),
  );
  expect(JSON.parse(await answered)).toMatchObject({ code: 200 });
  socket.send(Package.encode(Package.TYPE_HANDSHAKE_ACK));
  let id = 0;
  return {
    /** Sends `body` (raw bytes) on the route, uncompressed; resolves to the response's body text. */
    request(body: string): Promise<string> {
      id += 1;
      const answer = new Promise<string>((resolve) => responses.set(id, resolve));
      socket.send(
        Package.encode(
          Package.TYPE_DATA,
          Message.encode(id, Message.TYPE_REQUEST, false, ROUTE, Buffer.from(body, 'utf8')),
        ),
      );
      return Promise.race([
        answer,
        closed.then(() => {
          throw new Error(`the connection closed after the body ${body}`);
        }),
      ]);
    },
    close: () => socket.close(),
  };
}

describe("pomelo@2.2.7's own template and page on Shaddock", () => {
  let app: StartedApp | undefined;
  let dir: string | undefined;
  let clientPort = 0;

  beforeAll(async () => {
    const copied = await copyTemplate();
    dir = copied.dir;
    clientPort = copied.clientPort;
    app = startApp({
      bin: SHADDOCK_BIN,
      dir,
      env: ENV,
      environment: { NODE_ENV: undefined, SHADDOCK_ADMIN_USER: undefined },
    });
    const started = app;
    await waitFor(
      "the template's connector to listen",
      async () => {
        if (started.exited()) throw new Error(`shaddock start exited:\n${started.output()}`);
        return (await accepts(clientPort)) ? true : undefined;
      },
      45_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${started.output()}`);
    });
  }, 60_000);

  afterAll(async () => {
    const killed = (await app?.stop()) ?? [];
    const pids = app?.pids() ?? [];
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    expect(killed, 'every process stopped on its own').toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  it.skipIf(!installed && !inCi)(
    "answers the page's pomelo.init + request('connector.entryHandler.entry', \"hello pomelo\") in Chromium",
    async () => {
      if (!installed) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's`);
      const { server, url } = await servePage(clientPort);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
      const chromiumPids = descendantsOf(process.pid).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('chrom');
        } catch {
          return false;
        }
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        const alerts: string[] = [];
        const sent: Buffer[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        page.on('dialog', (dialog) => {
          alerts.push(dialog.message());
          void dialog.accept();
        });
        const received: Buffer[] = [];
        page.on('websocket', (socket) => {
          socket.on('framesent', ({ payload }) => sent.push(Buffer.from(payload as Buffer | string)));
          socket.on('framereceived', ({ payload }) => received.push(Buffer.from(payload as Buffer | string)));
        });
        await page.goto(url);
        await page.locator('#test').click();
        const alert = await waitFor('the page to alert the answer', () => alerts[0], 20_000);
        expect(alert).toBe(ANSWER.msg);
        expect(errors).toEqual([]);

        // What the page sent: its handshake, then the request, its route compressed by the
        // dictionary the handshake gave it, its body JSON.stringify("hello pomelo").
        const packages = sent.flatMap((frame) => decodePinusPackages(frame));
        const handshake = packages.find((pkg) => pkg.type === Package.TYPE_HANDSHAKE);
        expect(JSON.parse(handshake?.body?.toString('utf8') ?? '{}')).toEqual({
          sys: { type: 'js-websocket', version: '0.0.1' },
        });
        const request = packages.find((pkg) => pkg.type === Package.TYPE_DATA);
        const message = Message.decode(request?.body ?? Buffer.alloc(0));
        expect(message.type).toBe(Message.TYPE_REQUEST);
        expect(message.body.toString('utf8')).toBe('"hello pomelo"');
        const answer = received
          .flatMap((frame) => decodePinusPackages(frame))
          .find((pkg) => pkg.type === Package.TYPE_HANDSHAKE);
        console.info(`the server's handshake: ${answer?.body?.toString('utf8')}`);
        console.info(
          `the template page's request: route ${JSON.stringify(message.route)} (compressed: ${message.compressRoute}), body bytes ${JSON.stringify(message.body.toString('utf8'))}`,
        );
      } finally {
        await browser.close();
        server.close();
      }
      expect(chromiumPids.length).toBeGreaterThan(0);
      await waitFor('Chromium to exit', () => (chromiumPids.some(alive) ? undefined : true));
    },
    60_000,
  );

  it('accepts every body a Pomelo server accepts: any JSON value, and an empty body as {}', async () => {
    const client = await rawClient(clientPort);
    try {
      for (const body of [
        '"hello pomelo"',
        '42',
        '-1.5',
        '[1,2]',
        '[]',
        'null',
        'true',
        'false',
        '{}',
        '{"a":{"b":[1]}}',
        '""',
        '',
      ]) {
        expect(JSON.parse(await client.request(body)), `the body ${JSON.stringify(body)}`).toEqual(ANSWER);
      }
    } finally {
      client.close();
    }
  });
});
