/** A socket writer that gathers a turn's writes and hands them to the kernel once the turn's code has run. */
export interface TurnWriter {
  /** Writes what this turn gathered. */
  flushTurn(): void;
}

const waiting: TurnWriter[] = [];
let scheduled = false;
let pass = 0;

/**
 * Flushes `writer` once the current turn's callbacks and their promise chains have run (one
 * `process.nextTick` for every writer of the turn, not one each). A writer queues itself once
 * per turn: it keeps its own flag.
 */
export function flushAtEndOfTurn(writer: TurnWriter): void {
  waiting.push(writer);
  if (scheduled) return;
  scheduled = true;
  process.nextTick(flushAll);
}

/**
 * The bytes last built for a batch of packages, kept for the rest of the flush: a push (or a
 * buffer scheduler's batch of pushes) goes to every socket in one flush, as the same package
 * objects in the same order, so all of those sockets get the one buffer. Bytes handed to a
 * transport are never changed; a buffer built in an earlier flush is still never reused.
 */
export class SharedBatch {
  readonly #build: (packages: readonly Uint8Array[], totalBytes: number) => Buffer;
  #packages: readonly Uint8Array[] = [];
  #pass = -1;
  #bytes: Buffer | undefined;

  constructor(build: (packages: readonly Uint8Array[], totalBytes: number) => Buffer) {
    this.#build = build;
  }

  /** The bytes for `packages` (`totalBytes` in all): built now, or the ones built for the same batch. */
  bytes(packages: readonly Uint8Array[], totalBytes: number): Buffer {
    if (this.#bytes === undefined || this.#pass !== pass || !samePackages(packages, this.#packages)) {
      this.#packages = packages;
      this.#pass = pass;
      this.#bytes = this.#build(packages, totalBytes);
    }
    return this.#bytes;
  }
}

function samePackages(packages: readonly Uint8Array[], built: readonly Uint8Array[]): boolean {
  if (packages.length !== built.length) return false;
  for (let index = 0; index < packages.length; index++) {
    if (packages[index] !== built[index]) return false;
  }
  return true;
}

function flushAll(): void {
  pass++;
  let index = 0;
  try {
    // A flush may write again (a kick, then a close): the loop reaches the writers it adds.
    while (index < waiting.length) waiting[index++]!.flushTurn();
  } finally {
    waiting.splice(0, index);
    if (waiting.length > 0) process.nextTick(flushAll);
    else scheduled = false;
  }
}
