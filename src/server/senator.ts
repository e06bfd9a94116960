/**
 * @internal
 * The Senator's IO (machines/senator.ts): the `claim`, `renew` and `resign`
 * actors bound to a connection pool, the monotonic clock and a random
 * source, plus the {@link LeaderGate} that leader-only work (periodic
 * enqueues) consults before each run (docs/kiq-elixir.md §7, §15
 * item 92).
 *
 * The clock is read just before each request is sent (`sentAtMono`, where
 * the lease counts from) and when the reply arrives (`nowMono`, where the
 * machine's timers count from); both are the same monotonic clock the gate
 * reads, so lease and gate agree.
 */
import type { Redis } from 'ioredis';
import { fromPromise, type AnyActorRef } from 'xstate';
import {
  isLeader,
  senatorMachine,
  type ClaimOutput,
  type LeadershipChange,
  type LeaseRequest,
  type RenewOutput,
} from '../../machines/senator.js';
import type { Clock } from '../clock.js';
import { logEvent, type Logger } from '../logger.js';
import { OutageLog, type ProblemBoard } from '../redis/outage-log.js';
import { SENATOR_ID } from '../actor-ids.js';
import { claimLease, renewLease, resignLease } from './ops/leader-lease.js';

/** The senator's `systemId` (src/actor-ids.ts), kept here for its callers. */
export { SENATOR_ID };


/** What the senator's actors need. */
export interface SenatorDeps {
  /** Where commands go (a `ConnectionPool`). */
  readonly pool: { next(): Redis };
  /** Monotonic time (`monoMs`) for the lease. */
  readonly clock: Pick<Clock, 'monoMs'>;
  readonly logger: Logger;
  /** Uniform in [0, 1), for jitter. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Where a permanent failure (an ACL denial) is posted (the heartbeat's `kiq_errors`). */
  readonly board?: ProblemBoard;
}

/** The three lease calls, as the Senator's `claim`, `renew` and `resign` actors. */
export function senatorActors(deps: SenatorDeps) {
  const random = deps.random ?? Math.random;
  const outage = new OutageLog('leadership', { logger: deps.logger, clock: deps.clock, ...(deps.board ? { board: deps.board } : {}) });
  /** Logs the first failure of an outage (`leadership_<what>_failed`) and the first success after it (`leadership_restored`). */
  async function call<T>(what: string, identity: string, request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      outage.restored('leadership_restored', { identity });
      return result;
    } catch (error) {
      outage.failed(`leadership_${what}_failed`, error, { identity });
      throw error;
    }
  }

  return {
    claim: fromPromise<ClaimOutput, LeaseRequest>(({ input }) =>
      call('claim', input.identity, async () => {
        const sentAtMono = deps.clock.monoMs(); // the lease counts from here, before the request leaves
        const { won, pttl } = await claimLease(deps.pool.next(), input.identity, input.ttl);
        return { won, holderTtl: pttl, sentAtMono, nowMono: deps.clock.monoMs(), random: random() };
      }),
    ),
    renew: fromPromise<RenewOutput, LeaseRequest>(({ input }) =>
      call('renew', input.identity, async () => {
        const sentAtMono = deps.clock.monoMs();
        const held = await renewLease(deps.pool.next(), input.identity, input.ttl);
        return { held, sentAtMono, nowMono: deps.clock.monoMs(), random: random() };
      }),
    ),
    // once, best effort: the machine ignores its failure (the key expires by itself)
    resign: fromPromise<boolean, LeaseRequest>(({ input }) => resignLease(deps.pool.next(), input.identity)),
  };
}

/**
 * The Senator bound to Redis, for a supervisor child spec (`systemId`
 * {@link SENATOR_ID}). Each leadership change is logged and passed to
 * `onChange` (the facade's `leader` event).
 *
 * @example
 * const spec = { id: 'senator', systemId: SENATOR_ID, logic: senatorLogic(deps, onChange),
 *   input: { identity, ttl: config.leaderTtl }, shutdown: 5_000 };
 */
export function senatorLogic(deps: SenatorDeps, onChange?: (change: LeadershipChange) => void) {
  return senatorMachine.provide({
    actors: senatorActors(deps),
    actions: {
      reportLeadership: (_, change: LeadershipChange) => {
        logEvent(deps.logger, 'info', change.leader ? 'leader_elected' : 'leader_stepped_down', { identity: change.identity, term: change.term });
        onChange?.(change);
      },
    },
  });
}

/** Whether this process leads now; asked by leader-only work before each run. */
export interface LeaderGate {
  isLeader(): boolean;
}

/** Where the gate finds the senator: an actor system, or a getter for one (the tree starts later). */
type SystemSource = { get(systemId: string): AnyActorRef | undefined } | (() => { get(systemId: string): AnyActorRef | undefined } | undefined);

/**
 * A gate that reads the live senator's snapshot at call time (never a cached
 * ref: a restarted senator is a new actor) and checks its lease against the
 * clock. No senator (client-only tree, stopped, restarting) → `false`.
 *
 * @example
 * const gate = leaderGate(() => root?.system, config.clock);
 * if (gate.isLeader()) await recoverOrphans(redis, nowSec);
 */
export function leaderGate(source: SystemSource, clock: Pick<Clock, 'monoMs'>, systemId = SENATOR_ID): LeaderGate {
  return {
    isLeader: () => {
      const system = typeof source === 'function' ? source() : source;
      return isLeader(system?.get(systemId)?.getSnapshot(), clock.monoMs());
    },
  };
}
