import { LEVEL_VALUES } from './logger.js';

const LABELS = new Map<number, string>(
  Object.entries(LEVEL_VALUES).map(([name, value]) => [value, name.toUpperCase()]),
);

/** The fields shown elsewhere in the formatted line, or not worth its width. */
const SHOWN = new Set([
  'level',
  'time',
  'msg',
  'category',
  'err',
  'serverId',
  'serverType',
  'pid',
  'hostname',
]);

/** A string shown without quotes: no space, quote or `=` that would make `key=value` ambiguous. */
const BARE = /^[^\s"=]+$/;

/**
 * Turns one line a server printed into the line the master shows in development:
 * `[serverId] HH:MM:SS.mmm LEVEL category: message key=value…` (local time), followed by the
 * error's stack, indented, when the line has an `err`. A line that is not a JSON log line (a
 * `console.log`, a crash's output) comes back as `[serverId] line`, unchanged.
 *
 * @example
 * formatLogLine('chat-server-1', '{"level":30,"time":1700000000000,"category":"chat","msg":"joined","uid":"bob"}');
 * // '[chat-server-1] 22:13:20.000 INFO  chat: joined uid=bob' (on a machine at UTC)
 */
export function formatLogLine(serverId: string, line: string): string {
  const record = parseRecord(line);
  if (record === undefined) return `[${serverId}] ${line}`;
  let text = `[${serverId}]`;
  const time = clockTime(record['time']);
  if (time !== undefined) text += ` ${time}`;
  text += ` ${levelLabel(record['level']).padEnd(5)}`;
  if (typeof record['category'] === 'string') text += ` ${record['category']}:`;
  if (typeof record['msg'] === 'string') text += ` ${record['msg']}`;
  for (const [key, value] of Object.entries(record)) {
    // The line's prefix names its server; a different `serverId` (relayed lines) is worth showing.
    if (SHOWN.has(key) && !(key === 'serverId' && value !== serverId)) continue;
    text += ` ${key}=${showValue(value)}`;
  }
  return text + errorText(record['err']);
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  // Cheap test first: most non-JSON lines are rejected without a parse.
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  return 'level' in record && ('msg' in record || 'time' in record) ? record : undefined;
}

function levelLabel(level: unknown): string {
  if (typeof level === 'number') return LABELS.get(level) ?? `L${level}`;
  return String(level).toUpperCase();
}

/** `HH:MM:SS.mmm` in local time, from epoch milliseconds or an ISO string. */
function clockTime(time: unknown): string | undefined {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) return undefined;
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** The error's code and stack (or message, without one), on the lines after the line itself. */
function errorText(err: unknown): string {
  if (err === undefined) return '';
  if (typeof err !== 'object' || err === null) return ` err=${showValue(err)}`;
  const { stack, message, code } = err as Record<string, unknown>;
  const codeText = typeof code === 'string' || typeof code === 'number' ? ` err.code=${code}` : '';
  const body =
    typeof stack === 'string' ? stack : typeof message === 'string' ? message : JSON.stringify(err);
  return `${codeText}\n${body.replace(/^/gm, '    ')}`;
}
