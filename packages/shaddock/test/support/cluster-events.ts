import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line `EVENT <serverId> <pid> <name> [<json>]` a process of a fixture cluster reported. */
export interface ClusterEvent {
  readonly serverId: string;
  readonly pid: number;
  readonly name: string;
  readonly data: unknown;
}

/** Every event in `<dir>/events.log` so far, in the order it happened (whole lines only). */
export function readClusterEvents(dir: string): ClusterEvent[] {
  let text: string;
  try {
    text = readFileSync(join(dir, 'events.log'), 'utf8');
  } catch {
    return [];
  }
  const events: ClusterEvent[] = [];
  const lines = text.split('\n');
  // Only whole lines: the last piece is empty, or a line still being written.
  lines.pop();
  for (const line of lines) {
    const match = /^EVENT (\S+) (\d+) (\S+)(?: (.*))?$/.exec(line);
    if (!match) continue;
    const [, serverId = '', pid = '0', name = '', json] = match;
    events.push({
      serverId,
      pid: Number(pid),
      name,
      data: json === undefined ? undefined : JSON.parse(json),
    });
  }
  return events;
}
