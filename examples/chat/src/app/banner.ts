import type { Application, ServerInfo } from 'shaddock';
import { clientHostOf, webPortOf } from './components/web-server.js';

/** The page's address: the first gate with a `webPort`. */
export function pageUrl(servers: readonly ServerInfo[]): string | undefined {
  for (const server of servers) {
    const port = webPortOf(server);
    if (port !== undefined) return `http://${clientHostOf(server)}:${port}/`;
  }
  return undefined;
}

/**
 * What the master prints once every server is ready: the page's address, then the servers of
 * `servers.json`, one line each (id, type, RPC address, client address).
 */
export function clusterBanner(app: Application): string {
  const servers = app.cluster.servers;
  const rows = [
    ['id', 'type', 'rpc', 'clients'],
    ...servers.map((server) => [
      server.id,
      server.serverType,
      server.port === undefined ? '-' : `${server.host}:${server.port}`,
      server.clientPort === undefined ? '-' : `${clientHostOf(server)}:${server.clientPort}`,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) =>
    `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd(),
  );
  const url = pageUrl(servers);
  return [
    '',
    `Shaddock chat is running (env ${app.env}, master ${app.cluster.master.host}:${app.cluster.master.port}).`,
    url === undefined ? '  (no gate has a webPort: no web page)' : `  Open ${url} in a browser.`,
    '',
    ...table,
    '',
    '  Ctrl-C stops every server.',
    '',
  ].join('\n');
}

/**
 * What a server run without a master (`shaddock server`) logs once every server of `servers.json`
 * is in its membership: that it runs, where, and on the gate the page's address.
 */
export function serverReadyLine(app: Application): string {
  const server = app.getCurServer();
  const address = server.port === undefined ? '' : ` on ${server.host}:${server.port}`;
  const url = pageUrl([server]);
  return `${server.id} (${server.serverType}) runs${address}; every server of servers.json is up${
    url === undefined ? '' : `; open ${url} in a browser`
  }`;
}
