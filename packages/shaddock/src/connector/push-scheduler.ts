import { ErrorCode, ShaddockError } from '../errors.js';

/**
 * How pushes reach sockets (`connectorConfig.pushScheduler`):
 * - `'direct'` (default): each push is written at once (what one turn's code writes to a
 *   socket still leaves in one frame and one system call, at the end of that turn);
 * - `'buffer'`: each connection's packages of one event-loop turn (pushes, and the responses
 *   written behind them) are joined into ONE write (one WebSocket frame), flushed by
 *   `setImmediate` once the turn's I/O callbacks are done, with no timer;
 * - `{ type: 'buffer', flushMs }`: the same, flushed every `flushMs` milliseconds instead
 *   (Pomelo's buffer scheduler; it adds up to `flushMs` of latency).
 * Either way a connection's packages keep their order, responses included, and each is written once.
 */
export type PushSchedulerOption =
  | 'direct'
  | 'buffer'
  | { readonly type: 'direct' }
  | { readonly type: 'buffer'; readonly flushMs?: number };

/** What a push scheduler needs of a connection. */
export interface SchedulableConnection {
  /** Writes now (behind anything queued). */
  send(bytes: Uint8Array): void;
  /** Queues for the next flush; true when the queue was empty, so the scheduler must flush it. */
  enqueue(bytes: Uint8Array): boolean;
  /** Writes everything queued in one write. */
  flushQueue(): void;
}

/** Hands encoded push packages to connections. */
export interface PushScheduler {
  push(bytes: Uint8Array, connection: SchedulableConnection): void;
  /** Writes everything still queued. */
  flush(): void;
  /** Flushes and stops. */
  close(): void;
}

/** Writes every push at once. */
export class DirectPushScheduler implements PushScheduler {
  push(bytes: Uint8Array, connection: SchedulableConnection): void {
    connection.send(bytes);
  }

  flush(): void {}

  close(): void {}
}

/** Queues pushes per connection and writes each connection's queue as one write per flush. */
export class BufferPushScheduler implements PushScheduler {
  readonly #flushMs: number | undefined;
  #dirty: SchedulableConnection[] = [];
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(flushMs?: number) {
    this.#flushMs = flushMs;
  }

  push(bytes: Uint8Array, connection: SchedulableConnection): void {
    if (!connection.enqueue(bytes)) return;
    this.#dirty.push(connection);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate: after this turn's I/O callbacks and their promise chains, so the responses
    // that follow the pushes (resolved a few microtasks later) join the same write.
    if (this.#flushMs === undefined) setImmediate(this.flush);
    else this.#timer = setTimeout(this.flush, this.#flushMs);
  }

  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    for (const connection of dirty) connection.flushQueue();
  };

  close(): void {
    this.flush();
  }
}

/** The scheduler `option` names; a bad option is a `SHADDOCK_ERR_CONNECTOR_CONFIG_INVALID` error. */
export function createPushScheduler(option: PushSchedulerOption): PushScheduler {
  const type = typeof option === 'string' ? option : option?.type;
  if (type === 'direct') return new DirectPushScheduler();
  if (type === 'buffer') {
    const flushMs = typeof option === 'object' && option.type === 'buffer' ? option.flushMs : undefined;
    if (flushMs !== undefined && !(flushMs > 0 && flushMs < 2 ** 31)) {
      throw new ShaddockError(
        ErrorCode.ConnectorConfigInvalid,
        `connectorConfig.pushScheduler.flushMs must be positive milliseconds, got ${String(flushMs)}`,
      );
    }
    return new BufferPushScheduler(flushMs);
  }
  throw new ShaddockError(
    ErrorCode.ConnectorConfigInvalid,
    `connectorConfig.pushScheduler must be 'direct', 'buffer' or { type: 'buffer', flushMs }, got ${JSON.stringify(option)}`,
  );
}
