import type { ServerRow } from '../admin/index.js';

function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  const whole = Math.floor(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

const columns: readonly { title: string; right: boolean; cell(row: ServerRow): string }[] = [
  { title: 'id', right: false, cell: (row) => row.id },
  { title: 'serverType', right: false, cell: (row) => row.serverType },
  { title: 'pid', right: true, cell: (row) => String(row.pid ?? '-') },
  { title: 'host', right: false, cell: (row) => row.host },
  { title: 'port', right: true, cell: (row) => String(row.port ?? '-') },
  { title: 'clientPort', right: true, cell: (row) => String(row.clientPort ?? '-') },
  { title: 'state', right: false, cell: (row) => row.state },
  { title: 'uptime', right: true, cell: (row) => duration(row.uptime) },
  {
    title: 'rss',
    right: true,
    cell: (row) => (row.rss === null ? '-' : `${(row.rss / 1024 / 1024).toFixed(1)}M`),
  },
  {
    title: 'cpu',
    right: true,
    cell: (row) => (row.cpu === null ? '-' : `${((row.cpu.user + row.cpu.system) / 1e6).toFixed(2)}s`),
  },
  { title: 'restarts', right: true, cell: (row) => String(row.restarts) },
];

/** `list` rows as an aligned text table, one line per server, a header first. */
export function formatServerTable(rows: readonly ServerRow[]): string {
  const cells = [
    columns.map((column) => column.title),
    ...rows.map((row) => columns.map((column) => column.cell(row))),
  ];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index]?.length ?? 0)));
  const lines = cells.map((line) =>
    line
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        return columns[index]?.right ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
