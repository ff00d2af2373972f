import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { pack, unpack } from 'msgpackr';
import type { Logger, ServerOrder, ServerOrders } from 'shaddock';
import type { RepeatedLog } from './membership-repeats.js';
import { within } from './membership-timers.js';
import { ReplayGuard, SignedPurpose } from './signed-requests.js';

/**
 * The answer to a `ServerOrder` sent (as a NATS request, a signed request of `signed-requests.ts`
 * in JSON or msgpack, its body the order as JSON) to `controlSubject(cluster, serverId)`: in the
 * request's encoding, sent before the order is carried out. `stop` stops the server within
 * `deadlineMs` (10 000 when the order gives none), `kill` ends its process at once with exit code
 * 1. An order without a valid proof of the cluster secret, outside the time window, or replayed is
 * refused (`{ ok: false }`, one log line per reason per window) and changes nothing.
 */
export type ControlReply = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** The deadline of a `stop` that gives none (the master's default too). */
const DEFAULT_STOP_DEADLINE_MS = 10_000;

/** What {@link takeOrders} needs. */
export interface TakeOrdersOptions {
  readonly connection: NatsConnection;
  readonly subject: string;
  readonly orders: ServerOrders;
  readonly logger: Logger;
  readonly repeats: RepeatedLog;
  /** How `kill` ends the process (tests replace it). */
  readonly exit: (code: number) => void;
  /** The cluster secret orders are signed with (absent: the development one). */
  readonly secret?: string | undefined;
  /** The clock the time window is read on (default `Date.now`; tests replace it). */
  readonly now?: () => number;
}

/**
 * Subscribes this server to its control subject and carries out each order after replying to it;
 * a malformed or unknown order gets `{ ok: false, error }` and one log line per window, and never
 * throws.
 */
export function takeOrders(options: TakeOrdersOptions): Subscription {
  const { connection, subject, orders, logger, repeats, exit } = options;
  const guard = new ReplayGuard({
    secret: options.secret,
    purpose: SignedPurpose.Order,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  let stopping = false;
  return connection.subscribe(subject, {
    callback: (error, message) => {
      if (error) {
        repeats.log(
          'error',
          'control subscription',
          { err: error, subject },
          'the control subscription failed',
        );
        return;
      }
      const json = looksLikeJson(message.data);
      const signed = guard.check(message.subject, decode(message.data, json));
      if ('refused' in signed) {
        repeats.log(
          'warn',
          `refused order: ${signed.refused}`,
          { subject, reason: signed.refused },
          `refused an order on the control subject: ${signed.refused} (nothing was done)`,
        );
        reply(message, json, { ok: false, error: `refused: ${signed.refused}` });
        return;
      }
      const order = readOrder(signed.body);
      if (typeof order === 'string') {
        repeats.log('warn', 'malformed order', { subject, problem: order }, 'ignored a malformed order');
        reply(message, json, { ok: false, error: order });
        return;
      }
      reply(message, json, { ok: true });
      logger.info({ order }, `order from the control subject: ${order.order}`);
      // the reply leaves before the process stops (unless the connection hangs: then stop anyway)
      const flushed = within(connection.flush(), 500, 'flushing the reply').catch(() => {});
      if (order.order === 'kill') {
        void flushed.then(() => exit(1));
        return;
      }
      if (stopping) return;
      stopping = true;
      void flushed
        .then(() => orders.stop(order.deadlineMs))
        .catch((failure: unknown) => {
          stopping = false;
          logger.error({ err: failure }, 'stopping on order failed');
        });
    },
  });
}

function reply(message: Msg, json: boolean, answer: ControlReply): void {
  if (!message.reply) return;
  try {
    message.respond(json ? JSON.stringify(answer) : pack(answer));
  } catch {
    // the connection is closing: nobody to answer
  }
}

/** The request in `data` (JSON or msgpack), or `undefined`. */
function decode(data: Uint8Array, json: boolean): unknown {
  try {
    return json ? JSON.parse(new TextDecoder().decode(data)) : unpack(data);
  } catch {
    return undefined;
  }
}

/** The order in a signed request's body (JSON text), or what is wrong with it. */
function readOrder(body: string): ServerOrder | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'expected { order }';
  const { order, deadlineMs } = value as Record<string, unknown>;
  if (order === 'kill') return { order };
  if (order !== 'stop')
    return `unknown order ${typeof order === 'string' ? JSON.stringify(order.slice(0, 40)) : ''}`;
  if (deadlineMs === undefined) return { order, deadlineMs: DEFAULT_STOP_DEADLINE_MS };
  if (typeof deadlineMs !== 'number' || !Number.isFinite(deadlineMs) || deadlineMs < 0)
    return 'deadlineMs must be a number of milliseconds';
  return { order, deadlineMs };
}

/** JSON starts with `{` (after spaces); a msgpack map never does. */
function looksLikeJson(data: Uint8Array): boolean {
  for (const byte of data) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b;
  }
  return false;
}
