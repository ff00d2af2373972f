// What the scale-out test needs of the NATS and Redis it runs against, over their plain text
// protocols (no client library: the example depends on none): whether they answer, the Redis keys
// of a cluster (to look at a room, and to delete them after), and the JetStream buckets a cluster
// made (to delete them after).
import { connect, type Socket } from 'node:net';

/** A connection whose replies are read by line or by length; everything fails after `timeoutMs`. */
class Wire {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout;

  private constructor(socket: Socket, timeoutMs: number, what: string) {
    this.#socket = socket;
    socket.on('data', (data: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, data]);
      this.#wake?.();
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      this.#wake?.();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`${what} closed the connection`)));
    this.#timer = setTimeout(() => {
      fail(new Error(`${what} did not answer within ${timeoutMs} ms`));
      socket.destroy();
    }, timeoutMs);
  }

  /** Connects to `url`'s host and port (`defaultPort` when it has none). */
  static open(url: URL, defaultPort: number, timeoutMs: number): Promise<Wire> {
    const what = `${url.protocol}//${url.host}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port || defaultPort) });
      const wire = new Wire(socket, timeoutMs, what);
      const failed = (error: Error): void => {
        wire.close();
        reject(error);
      };
      const closed = (): void => failed(new Error(`${what} closed the connection`));
      socket.once('connect', () => {
        socket.off('error', failed);
        socket.off('close', closed);
        resolve(wire);
      });
      socket.once('error', failed);
      socket.once('close', closed);
    });
  }

  write(data: string): void {
    this.#socket.write(data);
  }

  /** The next line, without its CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const end = this.#buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.#buffer.subarray(0, end).toString('utf8');
        this.#buffer = this.#buffer.subarray(end + 2);
        return line;
      }
      await this.#more();
    }
  }

  /** The next `length` bytes and the CRLF after them. */
  async bytes(length: number): Promise<Buffer> {
    while (this.#buffer.length < length + 2) await this.#more();
    const bytes = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length + 2);
    return bytes;
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#socket.destroy();
  }

  #more(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#wake = () => {
        this.#wake = undefined;
        if (this.#failure) reject(this.#failure);
        else resolve();
      };
    });
  }
}

/** A Redis reply: a string, a number, `null`, or an array of those. */
type RedisReply = string | number | null | RedisReply[];

async function readRedisReply(wire: Wire): Promise<RedisReply> {
  const line = await wire.line();
  const rest = line.slice(1);
  switch (line[0]) {
    case '+':
      return rest;
    case '-':
      throw new Error(`redis: ${rest}`);
    case ':':
      return Number(rest);
    case '$':
      return rest === '-1' ? null : (await wire.bytes(Number(rest))).toString('utf8');
    case '*': {
      if (rest === '-1') return null;
      const items: RedisReply[] = [];
      for (let index = 0; index < Number(rest); index++) items.push(await readRedisReply(wire));
      return items;
    }
    default:
      throw new Error(`redis: unexpected reply ${JSON.stringify(line)}`);
  }
}

/** Runs these commands on one connection to `url`, in order; resolves to their replies. */
export async function redisCommands(
  url: string,
  commands: readonly (readonly string[])[],
  timeoutMs = 3_000,
): Promise<RedisReply[]> {
  const parsed = new URL(url);
  const wire = await Wire.open(parsed, 6379, timeoutMs);
  try {
    const setup: string[][] = [];
    if (parsed.password !== '') {
      const password = decodeURIComponent(parsed.password);
      setup.push(
        parsed.username === '' ? ['AUTH', password] : ['AUTH', decodeURIComponent(parsed.username), password],
      );
    }
    const db = parsed.pathname.slice(1);
    if (db !== '') setup.push(['SELECT', db]);
    const all = [...setup, ...commands];
    for (const args of all) {
      wire.write(
        `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`,
      );
    }
    const replies: RedisReply[] = [];
    for (let index = 0; index < all.length; index++) replies.push(await readRedisReply(wire));
    return replies.slice(setup.length);
  } finally {
    wire.close();
  }
}

// Deletes the keys matching ARGV[1] in batches; answers how many there were. KEYS is fine for a
// test's cluster, whose keys are few.
const DELETE_MATCHING = `local keys = redis.call('KEYS', ARGV[1])
for i = 1, #keys, 500 do redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys))) end
return #keys`;

/** The Redis keys of cluster `cluster`: `shaddock:<cluster>:*`. */
export async function clusterKeys(url: string, cluster: string): Promise<string[]> {
  const [keys] = await redisCommands(url, [['KEYS', `shaddock:${cluster}:*`]]);
  return Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [];
}

/** Deletes every Redis key of cluster `cluster`; resolves to how many there were. */
export async function deleteClusterKeys(url: string, cluster: string): Promise<number> {
  const [count] = await redisCommands(url, [['EVAL', DELETE_MATCHING, '0', `shaddock:${cluster}:*`]]);
  return Number(count);
}

/** Sends each request on one connection to NATS at `url` and resolves to the replies, in order. */
export async function natsRequests(
  url: string,
  requests: readonly { readonly subject: string; readonly payload: string }[],
  timeoutMs = 3_000,
): Promise<string[]> {
  const parsed = new URL(url);
  const wire = await Wire.open(parsed, 4222, timeoutMs);
  try {
    const info = await wire.line();
    if (!info.startsWith('INFO ')) throw new Error(`nats: unexpected greeting ${JSON.stringify(info)}`);
    const login =
      parsed.username === ''
        ? {}
        : parsed.password === ''
          ? { auth_token: decodeURIComponent(parsed.username) }
          : { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
    const options = { verbose: false, pedantic: false, headers: false, protocol: 1, ...login };
    wire.write(`CONNECT ${JSON.stringify(options)}\r\nPING\r\n`);
    await natsReply(wire, 'PONG');
    const inbox = `_INBOX.chat-test-${process.pid}-${Date.now()}`;
    wire.write(`SUB ${inbox} 1\r\n`);
    const replies: string[] = [];
    for (const { subject, payload } of requests) {
      wire.write(`PUB ${subject} ${inbox} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
      replies.push(await natsReply(wire, 'MSG'));
    }
    return replies;
  } finally {
    wire.close();
  }
}

/** Reads until the `PONG` or the next `MSG` (answering the server's pings); resolves to a message's payload. */
async function natsReply(wire: Wire, until: 'PONG' | 'MSG'): Promise<string> {
  for (;;) {
    const line = await wire.line();
    if (line === 'PING') wire.write('PONG\r\n');
    else if (line.startsWith('-ERR')) throw new Error(`nats: ${line}`);
    else if (until === 'PONG' && line === 'PONG') return '';
    else if (until === 'MSG' && line.startsWith('MSG ')) {
      const length = Number(line.split(' ').at(-1));
      return (await wire.bytes(length)).toString('utf8');
    }
  }
}

/** Deletes the JetStream buckets cluster `cluster` made (members, leader lease); absent ones are fine. */
export async function deleteClusterBuckets(url: string, cluster: string): Promise<void> {
  const streams = ['members', 'leader'].map((bucket) => `KV_shaddock_${cluster}_${bucket}`);
  await natsRequests(
    url,
    streams.map((stream) => ({ subject: `$JS.API.STREAM.DELETE.${stream}`, payload: '' })),
  );
}

/**
 * Why the scale-out services cannot be used, or `undefined` when both answer: Redis its `PING`,
 * NATS its JetStream account info (membership runs on JetStream).
 */
export async function servicesProblem(natsUrl: string, redisUrl: string): Promise<string | undefined> {
  const problems: string[] = [];
  try {
    const [pong] = await redisCommands(redisUrl, [['PING']], 2_000);
    if (pong !== 'PONG') problems.push(`Redis at ${redisUrl} answered ${JSON.stringify(pong)} to PING`);
  } catch (error) {
    problems.push(`Redis at ${redisUrl}: ${messageOf(error)}`);
  }
  try {
    const [info] = await natsRequests(natsUrl, [{ subject: '$JS.API.INFO', payload: '' }], 2_000);
    const answer = JSON.parse(info ?? '{}') as { error?: { description?: string } };
    if (answer.error) problems.push(`NATS at ${natsUrl}: JetStream: ${answer.error.description}`);
  } catch (error) {
    problems.push(`NATS at ${natsUrl} (with JetStream): ${messageOf(error)}`);
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
