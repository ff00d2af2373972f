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
 * Counts the flushes: bytes handed to every writer of one flush can be framed once for all of
 * them (a push to many sockets), and a frame built in an earlier flush is never reused.
 */
export function flushPass(): number {
  return pass;
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
