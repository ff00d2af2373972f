import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Application, Component, ConnectorConfig, ServerInfo } from 'shaddock';

/** The built page (`npm run bundle` writes it), beside this file's compiled folder: `dist/public/`. */
const PUBLIC_FOLDER = fileURLToPath(new URL('../../public/', import.meta.url));

/** Every file the page has, by URL path: nothing else is served. */
const FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  '/chat.js.map': { file: 'chat.js.map', type: 'application/json; charset=utf-8' },
};

const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
} as const;

/** What the page reads from `/config.json`: where the gate is. */
export type PageConfig = { gate: { host: string; port: number } };

/** The web page's port: the gate's `webPort` field in `servers.json`. */
export function webPortOf(server: ServerInfo): number | undefined {
  const port = Number(server['webPort']);
  return Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined;
}

/** The address clients use for a frontend: its `clientHost`, else its `host`. */
export function clientHostOf(server: ServerInfo): string {
  return server.clientHost ?? server.host;
}

/**
 * The `web` component, loaded on the gate: serves the chat page over HTTP (`node:http`, nothing
 * else) on the gate's `webPort`, on the address its connector listens on, and `/config.json`
 * telling the page where the gate is. Files are read on each request, so a rebuilt page needs no
 * restart.
 *
 * @example
 * app.configure('all', 'gate', (app) => app.load(webServer));
 */
export function webServer(app: Application): Component {
  let server: Server | undefined;
  return {
    name: 'web',
    async start() {
      const gate = app.getCurServer();
      const port = webPortOf(gate);
      if (port === undefined || gate.clientPort === undefined) {
        throw new Error(`${gate.id} needs a clientPort and a webPort (a port number) to serve the page`);
      }
      const config: PageConfig = { gate: { host: clientHostOf(gate), port: gate.clientPort } };
      const host = app.get<ConnectorConfig>('connectorConfig')?.listenHost ?? clientHostOf(gate);
      const listening = createServer((request, response) => {
        serve(request, response, config).catch((error: unknown) => {
          console.error(`[${app.serverId}] web:`, error);
          if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
          else response.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          listening.off('error', reject);
          resolve();
        });
      });
      server = listening;
    },
    async stop() {
      const closing = server;
      server = undefined;
      if (closing === undefined) return;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
  };
}

async function serve(request: IncomingMessage, response: ServerResponse, config: PageConfig): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  const path = new URL(request.url ?? '/', 'http://page').pathname;
  if (path === '/config.json') {
    send(response, 200, 'application/json; charset=utf-8', JSON.stringify(config));
    return;
  }
  const entry = Object.hasOwn(FILES, path) ? FILES[path] : undefined;
  if (entry === undefined) {
    send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(`${PUBLIC_FOLDER}${entry.file}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const hint = 'the page is not built: run `npm run build -w @shaddock/example-chat`\n';
    send(response, 503, 'text/plain; charset=utf-8', hint);
    return;
  }
  send(response, 200, entry.type, body);
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
