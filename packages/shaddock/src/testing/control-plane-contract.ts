import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, ServerUnavailable, ShaddockError } from '../errors.js';
import type { ControlPlane, LeaderCandidate, Leadership } from '../membership/index.js';
import type { ServerOrders } from '../server/index.js';
import { waitUntil } from './wait.js';

/** The orders a stand-in server takes: `stop` as a real server's `ServerOrders`, `kill` instead of ending the process. */
export interface MemberOrders extends ServerOrders {
  /** Called for a `kill` order, where a real server would end its process. */
  kill(): void;
}

/** What the control-plane contract suite needs from a driver: a cluster of its own per test. */
export interface ControlPlaneHarness {
  /**
   * A control plane for one process (`processId`: a master) of this cluster, with a connection of
   * its own, so that {@link crash} cuts off this one only.
   */
  create(processId: string): ControlPlane | Promise<ControlPlane>;
  /**
   * Makes a stand-in server take orders under `serverId` the way this driver's servers take them
   * (NATS: `takeOrders` on its control subject), handing each one to `orders`; resolves once an order
   * sent now reaches it, with what makes it stop taking orders (once that resolved, nobody does;
   * called again, it does nothing).
   */
  member(serverId: string, orders: MemberOrders): Promise<() => Promise<void>>;
  /**
   * Cuts `plane` off as a crash (or a network cut) would: no resignation, nothing of it reaches the
   * cluster any more. The object itself stays, its clocks running: a leader so cut off must see that
   * it leads no more. The suite does not close it; {@link close} ends what is left of it.
   */
  crash(plane: ControlPlane): Promise<void> | void;
  /** The most a crashed leader's place may stay taken, in milliseconds: from the crash until a standby leads. */
  readonly takeoverMs: number;
  /** Ends the cluster (every plane the suite made and did not crash is closed first). */
  close(): Promise<void>;
}

/** "At once": what an order or request to nobody, and a handover on resignation, may take at most. */
const AT_ONCE_MS = 1_000;
/** A timeout that an answer "at once" stays well below. */
const LONG_TIMEOUT_MS = 10_000;
/** For the tests that wait out a lease. */
const LEASE_TEST_TIMEOUT_MS = 30_000;

/** One candidate on a control plane of its own, and every (leader, self) its `onChange` was told, when. */
interface Candidate {
  readonly id: string;
  readonly plane: ControlPlane;
  readonly leadership: Leadership;
  readonly changes: { readonly leader: string | undefined; readonly self: boolean; readonly at: number }[];
}

/** A stand-in server's orders as received, and what stops it taking more. */
interface Member {
  readonly stops: number[];
  kills: number;
  leave(): Promise<void>;
}

/**
 * The ONE contract suite of the {@link ControlPlane} interface: orders reach the server taking them
 * and fail at once when nobody does; one leader among the candidates at every moment, handed over
 * at once on resignation and within the harness's bound after a crash, with `onChange` told of every
 * gain and loss; requests between masters, failing at once when nobody serves; `close()` stops it
 * all. Every driver (NATS) passes it. `makeHarness` is called once per test.
 *
 * @example
 * describeControlPlaneContract('nats', async () => natsHarness());
 */
export function describeControlPlaneContract(
  name: string,
  makeHarness: () => Promise<ControlPlaneHarness>,
): void {
  describe(`ControlPlane contract: ${name}`, () => {
    let harness: ControlPlaneHarness;
    let planes: ControlPlane[];
    let members: Member[];

    beforeEach(async () => {
      harness = await makeHarness();
      planes = [];
      members = [];
    });

    afterEach(async () => {
      await Promise.allSettled(members.map((member) => member.leave()));
      await Promise.allSettled(planes.map((plane) => plane.close()));
      await harness.close();
    });

    async function plane(processId: string): Promise<ControlPlane> {
      const made = await harness.create(processId);
      planes.push(made);
      return made;
    }

    async function crash(made: ControlPlane): Promise<void> {
      planes = planes.filter((other) => other !== made);
      await harness.crash(made);
    }

    async function close(made: ControlPlane): Promise<void> {
      planes = planes.filter((other) => other !== made);
      await made.close();
    }

    /** A stand-in server taking orders under `serverId`; `stop` answers its stop orders (at once by default). */
    async function member(
      serverId: string,
      stop: (deadlineMs: number) => Promise<void> = async () => {},
    ): Promise<Member> {
      const stops: number[] = [];
      const made: Member = { stops, kills: 0, leave: async () => {} };
      made.leave = await harness.member(serverId, {
        stop: (deadlineMs) => {
          stops.push(deadlineMs);
          return stop(deadlineMs);
        },
        kill: () => {
          made.kills += 1;
        },
      });
      members.push(made);
      return made;
    }

    /** Runs `id` for leadership on a control plane of its own (each master is a process of its own). */
    async function candidate(id: string, port = 3005): Promise<Candidate> {
      const own = await plane(id);
      const changes: Candidate['changes'][number][] = [];
      const running: LeaderCandidate = { id, host: '127.0.0.1', port };
      const leadership = await own.campaign(running, (leader, self) =>
        changes.push({ leader: leader?.id, self, at: performance.now() }),
      );
      return { id, plane: own, leadership, changes };
    }

    async function failure(promise: Promise<unknown>): Promise<unknown> {
      try {
        await promise;
      } catch (error) {
        return error;
      }
      throw new Error('expected a rejection');
    }

    describe('orders', () => {
      it('carries stop and kill orders to the server taking orders under that id, and to no other', async () => {
        const target = await member('chat-server-1');
        const other = await member('chat-server-2');
        const control = await plane('master-1');
        await control.order('chat-server-1', { order: 'stop', deadlineMs: 1_234 }, 2_000);
        await waitUntil(() => target.stops.length === 1, 2_000, 'the server is told to stop');
        expect(target.stops).toEqual([1_234]);
        await control.order('chat-server-1', { order: 'kill' }, 2_000);
        await waitUntil(() => target.kills === 1, 2_000, 'the server is killed');
        expect(other).toMatchObject({ stops: [], kills: 0 });
      });

      it('resolves an order once the server acknowledged it, before it carried it out', async () => {
        // a stop that never ends: the order is answered anyway
        const target = await member('chat-server-1', () => new Promise<void>(() => {}));
        const control = await plane('master-1');
        await control.order('chat-server-1', { order: 'stop', deadlineMs: 60_000 }, 2_000);
        await waitUntil(() => target.stops.length === 1, 2_000, 'the server is told to stop');
      });

      it('rejects an order nobody takes with ServerUnavailable at once, well before its timeout', async () => {
        const control = await plane('master-1');
        let startedAt = performance.now();
        const nobody = await failure(control.order('chat-server-9', { order: 'kill' }, LONG_TIMEOUT_MS));
        expect(nobody).toBeInstanceOf(ServerUnavailable);
        expect((nobody as ServerUnavailable).serverId).toBe('chat-server-9');
        expect(performance.now() - startedAt).toBeLessThan(AT_ONCE_MS);

        // a server that took orders and stopped taking them
        const gone = await member('chat-server-1');
        await control.order('chat-server-1', { order: 'stop', deadlineMs: 10 }, 2_000);
        await gone.leave();
        startedAt = performance.now();
        const left = await failure(
          control.order('chat-server-1', { order: 'stop', deadlineMs: 10 }, LONG_TIMEOUT_MS),
        );
        expect(left).toBeInstanceOf(ServerUnavailable);
        expect((left as ServerUnavailable).serverId).toBe('chat-server-1');
        expect(performance.now() - startedAt).toBeLessThan(AT_ONCE_MS);
        expect(gone.stops).toEqual([10]);
      });
    });

    describe('leadership', () => {
      it('elects the first candidate; a later one sees it lead; onChange tells each', async () => {
        const first = await candidate('master-1', 3005);
        expect(first.leadership.isLeader()).toBe(true);
        expect(first.leadership.leader()).toEqual({ id: 'master-1', host: '127.0.0.1', port: 3005 });
        expect(first.changes.at(-1)).toMatchObject({ leader: 'master-1', self: true });
        const second = await candidate('master-2', 3006);
        expect(second.leadership.isLeader()).toBe(false);
        expect(second.leadership.leader()).toEqual({ id: 'master-1', host: '127.0.0.1', port: 3005 });
        expect(second.changes.at(-1)).toMatchObject({ leader: 'master-1', self: false });
        expect(first.leadership.isLeader()).toBe(true);
      });

      it(
        'elects exactly one of many candidates that run at once, the same one at every sampled moment',
        async () => {
          const candidates = await Promise.all(
            ['a', 'b', 'c', 'd', 'e'].map((id) => candidate(`master-${id}`)),
          );
          // for a whole takeover bound: a standby that wrongly gave up on the leader would show
          const samples = sampleLeaders(candidates);
          await pause(harness.takeoverMs);
          const seen = samples.stop();
          expect(seen.length).toBeGreaterThan(10);
          expect(seen.filter((leaders) => leaders.length !== 1)).toEqual([]);
          const ids = new Set(seen.flat());
          expect(ids.size).toBe(1);
          const [leader] = ids;
          for (const each of candidates) {
            expect(each.leadership.leader()?.id).toBe(leader);
            expect(each.changes.at(-1)).toMatchObject({ leader, self: each.id === leader });
          }
        },
        LEASE_TEST_TIMEOUT_MS,
      );

      it(
        'hands over at once when the leader resigns, never with two leaders at once',
        async () => {
          const first = await candidate('master-1');
          const second = await candidate('master-2');
          const third = await candidate('master-3');
          const samples = sampleLeaders([first, second, third]);
          const resignedAt = performance.now();
          await first.leadership.resign();
          expect(first.leadership.isLeader()).toBe(false);
          const handoverMs = Math.min(AT_ONCE_MS, harness.takeoverMs / 2);
          await waitUntil(
            () => second.leadership.isLeader() || third.leadership.isLeader(),
            harness.takeoverMs + 2_000,
            'a standby leads',
          );
          expect(performance.now() - resignedAt).toBeLessThan(handoverMs);
          const [winner, loser] = second.leadership.isLeader() ? [second, third] : [third, second];
          await waitUntil(
            () => loser.leadership.leader()?.id === winner.id,
            harness.takeoverMs,
            'the other standby follows',
          );
          expect(samples.stop().filter((leaders) => leaders.length > 1)).toEqual([]);
          // onChange: the gain for the winner, the new leader for the other (no leader between: allowed)
          expect(known(winner.changes)).toEqual([
            { leader: 'master-1', self: false },
            { leader: winner.id, self: true },
          ]);
          await waitUntil(() => known(loser.changes).length === 2, harness.takeoverMs, 'the loser is told');
          expect(known(loser.changes)).toEqual([
            { leader: 'master-1', self: false },
            { leader: winner.id, self: false },
          ]);
        },
        LEASE_TEST_TIMEOUT_MS,
      );

      it(
        'replaces a crashed leader within the bound; the cut-off leader is told of its loss before anyone leads',
        async () => {
          const first = await candidate('master-1');
          const second = await candidate('master-2');
          const third = await candidate('master-3');
          const all = [first, second, third];
          const samples = sampleLeaders(all);
          const crashedAt = performance.now();
          await crash(first.plane);
          await waitUntil(
            () => second.leadership.isLeader() || third.leadership.isLeader(),
            harness.takeoverMs + 5_000,
            'a standby leads',
          );
          const tookMs = performance.now() - crashedAt;
          expect(tookMs).toBeLessThanOrEqual(harness.takeoverMs);
          // the one cut off leads no more (it stopped saying so before any standby could take over)
          expect(first.leadership.isLeader()).toBe(false);
          expect(samples.stop().filter((leaders) => leaders.length > 1)).toEqual([]);
          const [winner, loser] = second.leadership.isLeader() ? [second, third] : [third, second];
          await waitUntil(
            () => loser.leadership.leader()?.id === winner.id,
            harness.takeoverMs,
            'the other standby follows',
          );
          // onChange: the loss to the one cut off, no later than the gain to the winner
          const lost = first.changes.find((change) => change.at >= crashedAt && !change.self);
          const gained = winner.changes.find((change) => change.self);
          expect(lost).toBeDefined();
          expect(lost?.leader).not.toBe('master-1');
          expect(gained).toMatchObject({ leader: winner.id, self: true });
          expect(lost?.at).toBeLessThanOrEqual(gained?.at ?? 0);
          // told once its own attempt settled, maybe a moment after leader() shows the winner
          // (a bound of a whole takeover: on a loaded machine that attempt can take as long)
          await waitUntil(
            () => known(loser.changes).at(-1)?.leader === winner.id,
            harness.takeoverMs,
            'the other standby is told',
          );
          expect(known(loser.changes).at(-1)).toEqual({ leader: winner.id, self: false });
        },
        LEASE_TEST_TIMEOUT_MS,
      );
    });

    describe('requests between masters', () => {
      it('carries a request to whoever serves the address and its answer back; a coded failure keeps its code', async () => {
        const serving = await plane('master-1');
        const asking = await plane('master-2');
        await serving.serve('master-1', async (request) => {
          if (request === 'fail') throw new ShaddockError(ErrorCode.MasterState, 'not the leader');
          return { echo: request };
        });
        for (const value of [{ n: 1 }, 'text', 42, true, null, [1, 'two', { three: [false] }]]) {
          await expect(asking.request('master-1', value, 2_000)).resolves.toEqual({ echo: value });
        }
        const coded = await failure(asking.request('master-1', 'fail', 2_000));
        expect(coded).toBeInstanceOf(ShaddockError);
        expect(coded).toMatchObject({ code: ErrorCode.MasterState });
        expect((coded as Error).message).toContain('not the leader');
      });

      it('rejects a request nobody serves with ServerUnavailable at once, as soon as serving stopped', async () => {
        const serving = await plane('master-1');
        const asking = await plane('master-2');
        let startedAt = performance.now();
        const nobody = await failure(asking.request('master-9', 'x', LONG_TIMEOUT_MS));
        expect(nobody).toBeInstanceOf(ServerUnavailable);
        expect(performance.now() - startedAt).toBeLessThan(AT_ONCE_MS);

        const stopServing = await serving.serve('master-1', async () => 'here');
        await expect(asking.request('master-1', 'x', 2_000)).resolves.toBe('here');
        await stopServing();
        startedAt = performance.now();
        const stopped = await failure(asking.request('master-1', 'x', LONG_TIMEOUT_MS));
        expect(stopped).toBeInstanceOf(ServerUnavailable);
        expect(performance.now() - startedAt).toBeLessThan(AT_ONCE_MS);
      });

      it('rejects a request not answered in time with ServerUnavailable, once its timeout passed', async () => {
        const serving = await plane('master-1');
        const asking = await plane('master-2');
        let answer: (value: null) => void = () => {};
        await serving.serve('slow-1', () => new Promise((resolve) => (answer = resolve)));
        const timeoutMs = 300;
        const startedAt = performance.now();
        try {
          const late = await failure(asking.request('slow-1', null, timeoutMs));
          const tookMs = performance.now() - startedAt;
          expect(late).toBeInstanceOf(ServerUnavailable);
          expect(tookMs).toBeGreaterThanOrEqual(timeoutMs - 50);
          expect(tookMs).toBeLessThan(timeoutMs + AT_ONCE_MS);
        } finally {
          answer(null);
        }
      });
    });

    it('close() stops serving and resigns: the standby leads at once, requests to it fail at once', async () => {
      const leading = await candidate('master-1');
      await leading.plane.serve('master-1', async () => 'here');
      const standby = await candidate('master-2');
      await expect(standby.plane.request('master-1', 'x', 2_000)).resolves.toBe('here');
      const closedAt = performance.now();
      await close(leading.plane);
      expect(leading.leadership.isLeader()).toBe(false);
      const refused = await failure(standby.plane.request('master-1', 'x', LONG_TIMEOUT_MS));
      expect(refused).toBeInstanceOf(ServerUnavailable);
      await waitUntil(() => standby.leadership.isLeader(), harness.takeoverMs + 2_000, 'the standby leads');
      expect(performance.now() - closedAt).toBeLessThan(Math.min(AT_ONCE_MS, harness.takeoverMs / 2));
      expect(standby.changes.at(-1)).toMatchObject({ leader: 'master-2', self: true });
    });
  });
}

/** Samples who leads every 5 ms until `stop()`: the ids that called themselves leader, per sample. */
function sampleLeaders(candidates: readonly Candidate[]): { stop(): string[][] } {
  const samples: string[][] = [];
  const take = (): void => {
    samples.push(candidates.filter((each) => each.leadership.isLeader()).map((each) => each.id));
  };
  take();
  const timer = setInterval(take, 5);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** The changes with a leader, without their times (moments without one may come between). */
function known(changes: Candidate['changes']): { leader: string | undefined; self: boolean }[] {
  return changes
    .filter((change) => change.leader !== undefined)
    .map(({ leader, self }) => ({ leader, self }));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
