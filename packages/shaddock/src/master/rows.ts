import type { ServerRow } from '../admin/index.js';
import type { ProcessStats } from './control-protocol.js';
import type { ServerRecord } from './registry.js';

/** This process's own figures, the way a monitor reports them. */
export function ownStats(): ProcessStats {
  return {
    pid: process.pid,
    rss: process.memoryUsage().rss,
    cpu: process.cpuUsage(),
    uptime: process.uptime(),
  };
}

/** A server's `list` row, with the figures it reported (if it answered). */
export function serverRow(record: ServerRecord, stats: ProcessStats | undefined): ServerRow {
  const { info } = record;
  const running = record.child !== undefined;
  return {
    id: info.id,
    serverType: info.serverType,
    pid: record.pid ?? null,
    host: info.host,
    port: info.port ?? null,
    clientPort: info.clientPort ?? null,
    state: record.state,
    uptime: running && record.startedAt !== undefined ? (Date.now() - record.startedAt) / 1000 : null,
    rss: stats?.rss ?? null,
    cpu: stats?.cpu ?? null,
    restarts: record.restarts,
  };
}

/** The master's own `list` row. */
export function masterRow(master: { id: string; host: string; port: number }): ServerRow {
  const stats = ownStats();
  return {
    id: master.id,
    serverType: 'master',
    pid: stats.pid,
    host: master.host,
    port: master.port,
    clientPort: null,
    state: 'running',
    uptime: stats.uptime,
    rss: stats.rss,
    cpu: stats.cpu,
    restarts: 0,
  };
}
