// How every process of the scale-app fixture reports what happens to it: one line
// `EVENT <serverId> <pid> <name> [<json>]` appended to the file named by SCALE_APP_EVENTS (one
// append per line, so the file holds every process's events in the order they happened).
import { appendFileSync } from 'node:fs';

/** Reports one event of server `serverId`. */
export function report(serverId, name, data) {
  const file = process.env.SCALE_APP_EVENTS;
  if (!file) return;
  appendFileSync(
    file,
    `EVENT ${serverId} ${process.pid} ${name}${data === undefined ? '' : ` ${JSON.stringify(data)}`}\n`,
  );
}

/** What a caller learns from a failed call, as plain data: the error's class, code and message. */
export function describeError(error) {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const described = { name: error.name, message: error.message };
  if (typeof error.code === 'string' || typeof error.code === 'number') described.code = error.code;
  return described;
}
