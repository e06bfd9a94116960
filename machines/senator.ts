/**
 * Senator — leader election on the `dear-leader` key (Kiq.Senator,
 * docs/kiq-elixir.md §7; Sidekiq Enterprise's Senate, docs/sidekiq-contract.md §12).
 * The key holds the leader's identity; one process at a time leads, and only
 * the leader runs leader-gated work (resurrection, periodic enqueues).
 *
 * 1. `electing`: the `claim` actor runs `SET dear-leader <identity> NX PX ttl`
 *    (falling back to a compare-and-expire when the key already holds this
 *    identity: a restarted senator, or a renew whose reply was lost).
 *    Won → `leader`; lost → `follower`; a Redis error → `follower`.
 * 2. The lease is counted from BEFORE the request was sent, on the monotonic
 *    clock: `leaderUntil = sentAtMono + ttl − margin` (margin = ttl/10, for
 *    clock-rate drift between this host and Redis and for timer lateness).
 *    Redis set the key's TTL after we sent the request, so the key outlives
 *    our lease: no other process can claim it while we still believe we lead.
 *    Kiq counted from after the reply, so two nodes could both lead for a
 *    round trip (docs/kiq-elixir.md bug 17). A claim won with a reply so
 *    late that the lease is already over does not make us leader.
 * 3. `leader.waiting` → `leader.renewing` after ttl/4 (±20 %): `renew` runs
 *    compare-and-expire (`renew-lease.lua`). Held → the lease restarts from
 *    the new `sentAtMono`; lost (the key is gone or someone else's) → step
 *    down and claim at once (`electing`); a Redis error → keep leading and try
 *    again after ttl/10.
 * 4. The lease is a timer on the whole `leader` state (`leaseEnd`, restarted
 *    on every successful renew): when it fires — renewals kept failing, or a
 *    renew is still in flight — the leader steps down and claims again. It
 *    never leads beyond its lease. `isLeader(snapshot, nowMono)` also checks
 *    the lease against the clock at call time, so a late timer cannot
 *    stretch leadership either.
 * 5. `follower`: claim again after ttl/2 (±20 %), or right after the
 *    holder's key lapses when that comes sooner (the claim reports the key's
 *    remaining TTL): a crashed leader is replaced in about its key's
 *    remaining TTL, not TTL + a full interval as in Kiq (2 × ttl).
 *    `redis.ready` (a connection came back) claims at once.
 * 6. Every change of leadership emits `leader.changed` (for `actor.on`) and
 *    runs `reportLeadership` (bound by `src/` to the facade's `leader` event).
 * 7. `shutdown`: a leader steps down and `resigning` runs `resign` once
 *    (compare-and-delete, `release-lock.lua`; its error is ignored), then
 *    `done`. A follower that may still hold the key (a lapsed lease, a claim
 *    or renew that failed mid-flight) resigns too; one that knows the key is
 *    someone else's stops at once. An in-flight claim is awaited first (its
 *    SET could land after the resign); an in-flight renew is not (a
 *    compare-and-expire never creates the key).
 *
 * Pure: no IO, no clock. Monotonic times arrive in the IO actors' outputs
 * (read before the request and after the reply), randomness for jitter too;
 * waits are xstate `after` delays, so a `SimulatedClock` drives the tests.
 */
import { assign, emit, fromPromise, setup, type SnapshotFrom } from 'xstate';
import { hasTag, Tag } from './tags.js';
import { MAX_TIMER_MS } from './timer-limit.js';

/** Senator settings. */
export interface SenatorInput {
  /** This process's identity: the value written to `dear-leader`. */
  readonly identity: string;
  /** Lifetime of the key without renewal, ms (the `leaderTtl` option). */
  readonly ttl: number;
}

/** What the `claim`, `renew` and `resign` actors receive. */
export interface LeaseRequest {
  readonly identity: string;
  readonly ttl: number;
}

/** Times and randomness every lease call reports. */
interface LeaseCall {
  /** Monotonic ms read just before the request was sent: the lease counts from here. */
  readonly sentAtMono: number;
  /** Monotonic ms read when the reply arrived: the timers count from here. */
  readonly nowMono: number;
  /** Uniform in [0, 1), for jitter (randomness stays on the IO side). */
  readonly random: number;
}

/** What one `claim` call reports. */
export interface ClaimOutput extends LeaseCall {
  /** The key now holds this identity with a fresh TTL. */
  readonly won: boolean;
  /**
   * When lost: the holder's remaining TTL in ms (Redis PTTL: −2 the key is
   * gone, −1 it has no expiry); absent when unknown.
   */
  readonly holderTtl?: number;
}

/** What one `renew` call reports. */
export interface RenewOutput extends LeaseCall {
  /** The key still held this identity and its TTL was reset to `ttl`. */
  readonly held: boolean;
}

/** What `reportLeadership` and the `leader.changed` event carry. */
export interface LeadershipChange {
  readonly leader: boolean;
  readonly identity: string;
  /** Terms won since start; the term that began or ended. */
  readonly term: number;
}

/** The senator's state, visible in the inspector. */
export interface SenatorContext {
  readonly identity: string;
  readonly ttl: number;
  /** Monotonic ms at which the current lease ends; 0 when not leading. */
  readonly leaderUntil: number;
  /** Monotonic ms of the last IO reply: what `leaseEnd` counts from. */
  readonly nowMono: number;
  /** The next wait of `follower` or `leader.waiting`, ms. */
  readonly delay: number;
  /** Times leadership was won. */
  readonly terms: number;
  /** Successful renewals in all terms. */
  readonly renewals: number;
  /** Consecutive failed claim or renew calls. */
  readonly failures: number;
  /** The key may hold this identity (so `shutdown` resigns). */
  readonly mayHold: boolean;
  /** A shutdown arrived while a claim was in flight. */
  readonly stopping: boolean;
}

/** Events the senator accepts. */
export type SenatorEvent = { type: 'shutdown' } | { type: 'redis.ready' };

/** Events the senator emits to `actor.on(...)` listeners. */
export type SenatorEmitted = { type: 'leader.changed' } & LeadershipChange;

/** Part of the ttl the lease gives up for clock drift and timer lateness. */
export const LEASE_MARGIN = 1 / 10;
/** The leader renews every ttl × this (±{@link JITTER}). */
export const RENEW_EVERY = 1 / 4;
/** A follower claims every ttl × this (±{@link JITTER}). */
export const CLAIM_EVERY = 1 / 2;
/** After a failed renew or claim the next try is ttl × this away (a follower's: ttl × {@link CLAIM_EVERY}). */
export const RETRY_AFTER = 1 / 10;
/** Relative spread of the renew and claim intervals: ±20 %. */
export const JITTER = 0.2;
/** Spread of followers that try right after the holder's key lapses: up to ttl × this. */
const LAPSE_SPREAD = 1 / 20;

const clampDelay = (ms: number): number => (Number.isFinite(ms) ? Math.min(Math.max(0, Math.round(ms)), MAX_TIMER_MS) : 0);
const unit = (random: number): number => (Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5);

/** `average` spread uniformly over ±{@link JITTER}, at least 1 ms. */
export function jitter(average: number, random: number): number {
  return Math.max(1, clampDelay(average * (1 - JITTER + 2 * JITTER * unit(random))));
}

/** Where a lease won or renewed by a request sent at `sentAtMono` ends (monotonic ms). */
export function leaseEnd(ttl: number, sentAtMono: number): number {
  return sentAtMono + ttl - Math.ceil(ttl * LEASE_MARGIN);
}

/** The wait before a follower claims again. */
function followerDelay(ttl: number, output: ClaimOutput): number {
  const interval = jitter(ttl * CLAIM_EVERY, output.random);
  const left = output.holderTtl;
  if (left === undefined || left === -1 || !Number.isFinite(left)) return interval;
  // the holder's key lapses before our next try: try right after it does
  const lapse = Math.max(0, left) + 1 + clampDelay(unit(output.random) * ttl * LAPSE_SPREAD);
  return Math.min(interval, lapse);
}

/** A reply that starts a live lease: won (or held) and not already over when it arrived. */
const liveLease = (ttl: number, output: LeaseCall): boolean => leaseEnd(ttl, output.sentAtMono) > output.nowMono;

/** The Senator statechart; `src/` provides `claim`, `renew`, `resign` and `reportLeadership`. */
export const senatorMachine = setup({
  types: {
    input: {} as SenatorInput,
    context: {} as SenatorContext,
    events: {} as SenatorEvent,
    emitted: {} as SenatorEmitted,
    tags: {} as Tag,
  },
  actors: {
    claim: fromPromise<ClaimOutput, LeaseRequest>(async () => {
      throw new Error('senator: the claim actor was not provided');
    }),
    renew: fromPromise<RenewOutput, LeaseRequest>(async () => {
      throw new Error('senator: the renew actor was not provided');
    }),
    /** Resolves `true` when the key was deleted (it held this identity). */
    resign: fromPromise<boolean, LeaseRequest>(async () => {
      throw new Error('senator: the resign actor was not provided');
    }),
  },
  delays: {
    delay: ({ context }) => context.delay,
    // the lease left when the last reply arrived; the timer starts a microtask later, so
    // it fires a hair after the lease: the margin covers it, and isLeader() checks the clock
    leaseEnd: ({ context }) => clampDelay(context.leaderUntil - context.nowMono),
  },
  guards: {
    stopping: ({ context }) => context.stopping,
    mayHold: ({ context }) => context.mayHold,
    failing: ({ context }) => context.failures > 0,
    claimWon: ({ context }, output: ClaimOutput) => output.won && liveLease(context.ttl, output),
    landedWhileStopping: ({ context }, output: ClaimOutput) => context.stopping && output.won,
    renewHeld: ({ context }, output: RenewOutput) => output.held && liveLease(context.ttl, output),
  },
  actions: {
    takeOffice: assign(({ context }, output: ClaimOutput) => ({
      leaderUntil: leaseEnd(context.ttl, output.sentAtMono),
      nowMono: output.nowMono,
      delay: jitter(context.ttl * RENEW_EVERY, output.random),
      terms: context.terms + 1,
      failures: 0,
      mayHold: true,
    })),
    extendLease: assign(({ context }, output: RenewOutput) => ({
      leaderUntil: leaseEnd(context.ttl, output.sentAtMono),
      nowMono: output.nowMono,
      delay: jitter(context.ttl * RENEW_EVERY, output.random),
      renewals: context.renewals + 1,
      failures: 0,
    })),
    // a won claim whose lease was over on arrival leaves the key ours for a moment
    loseClaim: assign(({ context }, output: ClaimOutput) => ({
      leaderUntil: 0,
      nowMono: output.nowMono,
      delay: followerDelay(context.ttl, output),
      failures: 0,
      mayHold: output.won,
    })),
    failClaim: assign(({ context }) => ({
      leaderUntil: 0,
      delay: jitter(context.ttl * CLAIM_EVERY, 0.5),
      failures: context.failures + 1,
      // the SET may have landed before the error
      mayHold: true,
    })),
    failRenew: assign(({ context }) => ({
      delay: Math.max(1, clampDelay(context.ttl * RETRY_AFTER)),
      failures: context.failures + 1,
    })),
    // the renew saw the key gone or someone else's
    loseKey: assign({ leaderUntil: 0, mayHold: false }),
    // the lease ran out (renewals failed or hung): the key may still be ours in Redis
    lapse: assign({ leaderUntil: 0 }),
    stepDown: assign({ leaderUntil: 0 }),
    markStopping: assign({ stopping: true }),
    emitLeadership: emit(({ context }, params: { leader: boolean }) => ({
      type: 'leader.changed' as const,
      leader: params.leader,
      identity: context.identity,
      term: context.terms,
    })),
    /** Bound by `src/` to the facade's `leader` event; a no-op by default. */
    reportLeadership: (_, _change: LeadershipChange) => {},
  },
}).createMachine({
  id: 'senator',
  context: ({ input }) => ({
    identity: input.identity,
    ttl: input.ttl,
    leaderUntil: 0,
    nowMono: 0,
    delay: 0,
    terms: 0,
    renewals: 0,
    failures: 0,
    mayHold: false,
    stopping: false,
  }),
  initial: 'electing',
  states: {
    electing: {
      tags: [Tag.io],
      invoke: {
        id: 'claim',
        src: 'claim',
        input: ({ context }) => ({ identity: context.identity, ttl: context.ttl }),
        onDone: [
          // shut down while claiming: undo a claim that landed, without ever leading
          { guard: { type: 'landedWhileStopping', params: ({ event }) => event.output }, target: 'resigning' },
          { guard: 'stopping', target: 'done' },
          {
            guard: { type: 'claimWon', params: ({ event }) => event.output },
            target: 'leader',
            actions: [
              { type: 'takeOffice', params: ({ event }) => event.output },
              { type: 'emitLeadership', params: { leader: true } },
              { type: 'reportLeadership', params: ({ context }) => ({ leader: true, identity: context.identity, term: context.terms }) },
            ],
          },
          { target: 'follower', actions: [{ type: 'loseClaim', params: ({ event }) => event.output }] },
        ],
        onError: [{ guard: 'stopping', target: 'resigning' }, { target: 'follower', actions: 'failClaim' }],
      },
      on: { shutdown: { actions: 'markStopping' } },
    },
    follower: {
      tags: [Tag.idle],
      after: { delay: 'electing' },
      on: {
        'redis.ready': 'electing',
        shutdown: [{ guard: 'mayHold', target: 'resigning' }, { target: 'done' }],
      },
    },
    leader: {
      id: 'leader',
      tags: [Tag.leader],
      initial: 'waiting',
      // the lease ran out before a renew came back: never lead beyond it
      after: {
        leaseEnd: {
          target: 'electing',
          actions: [
            'lapse',
            { type: 'emitLeadership', params: { leader: false } },
            { type: 'reportLeadership', params: ({ context }) => ({ leader: false, identity: context.identity, term: context.terms }) },
          ],
        },
      },
      on: {
        // an in-flight renew is dropped: compare-and-expire never creates the key, so it cannot outlive the resign
        shutdown: {
          target: 'resigning',
          actions: [
            'stepDown',
            { type: 'emitLeadership', params: { leader: false } },
            { type: 'reportLeadership', params: ({ context }) => ({ leader: false, identity: context.identity, term: context.terms }) },
          ],
        },
      },
      states: {
        waiting: {
          tags: [Tag.idle],
          after: { delay: 'renewing' },
          on: { 'redis.ready': { guard: 'failing', target: 'renewing' } },
        },
        renewing: {
          tags: [Tag.io],
          invoke: {
            id: 'renew',
            src: 'renew',
            input: ({ context }) => ({ identity: context.identity, ttl: context.ttl }),
            onDone: [
              {
                guard: { type: 'renewHeld', params: ({ event }) => event.output },
                // re-enter `leader`: the lease timer restarts from the new lease
                target: '#leader',
                reenter: true,
                actions: [{ type: 'extendLease', params: ({ event }) => event.output }],
              },
              {
                // the key is gone or someone else's: step down, and claim at once in case it is free
                target: '#senator.electing',
                actions: [
                  'loseKey',
                  { type: 'emitLeadership', params: { leader: false } },
                  { type: 'reportLeadership', params: ({ context }) => ({ leader: false, identity: context.identity, term: context.terms }) },
                ],
              },
            ],
            // keep leading until the lease ends; try again sooner
            onError: { target: 'waiting', actions: 'failRenew' },
          },
        },
      },
    },
    resigning: {
      tags: [Tag.io, Tag.stopping],
      invoke: {
        id: 'resign',
        src: 'resign',
        input: ({ context }) => ({ identity: context.identity, ttl: context.ttl }),
        onDone: 'done',
        // resigning is best effort: the key expires by itself within ttl
        onError: 'done',
      },
    },
    done: { type: 'final' },
  },
});

/** A senator's snapshot. */
export type SenatorSnapshot = SnapshotFrom<typeof senatorMachine>;

/** The parts of a snapshot {@link isLeader} reads (any actor's snapshot may be passed). */
interface SnapshotLike {
  readonly status?: unknown;
  readonly context?: unknown;
}

/**
 * Whether the senator whose snapshot this is leads at monotonic time
 * `nowMono`: running, in a state tagged `leader`, and inside its lease. Pure;
 * the caller passes the clock reading (the same monotonic clock the IO actors use).
 *
 * @example
 * isLeader(system.get('senator')?.getSnapshot(), clock.monoMs()); // false when absent
 */
export function isLeader(snapshot: SnapshotLike | undefined, nowMono: number): boolean {
  if (snapshot === undefined || snapshot === null || snapshot.status !== 'active' || !hasTag(snapshot, Tag.leader)) return false;
  const until = (snapshot.context as { leaderUntil?: unknown } | undefined)?.leaderUntil;
  return typeof until === 'number' && until > nowMono;
}
