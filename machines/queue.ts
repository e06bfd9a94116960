/**
 * Queue — one per configured queue (Kiq.Queue.Supervisor + Consumer).
 *
 * 1. `active.running`: the invoked Fetcher fills up to `limit` slots; each
 *    `jobs` event starts the jobs as plain promises (the `startJobs` action,
 *    bound in `src/`), reporting `job.finished` (batched per tick) when their outcome is
 *    settled in Redis. A finished job frees one slot: `demand` 1 to the
 *    fetcher. Jobs are never actors (docs/architecture.md §6 item 5).
 *    Prefetch: while `src/` reports the jobs quick (`pace`: how many to hold
 *    ahead, `extra`, at most `prefetch`), the queue holds that many jobs
 *    beyond `limit`; they wait in `src/` for a free slot, and a round's
 *    fetch takes more jobs. Extra slots are asked for with the next freed
 *    ones (one fetch, not two streams of them); when `extra` shrinks, that
 *    many freed slots are withheld instead (`withheld`).
 *    `running` counts every delivered job not finished, waiting ones too.
 * 2. `configure` (quiet, drainTimeout) is kept and forwarded to the fetcher:
 *    quiet fetches nothing new, running jobs carry on.
 * 3. A crashed fetcher (a bug) is restarted after `restartDelay` without
 *    touching running jobs (unless it crashed while stopping: then the
 *    shutdown goes on to `draining`). A `configure` while it is down is kept
 *    and reaches the restarted fetcher through its input.
 * 4. `shutdown` → `active.stoppingFetcher`: the fetcher stops (its in-flight
 *    call finishes first); jobs delivered now are not started — they stay in
 *    the private list, and `releaseWaiting` tells `src/` that jobs waiting
 *    for a slot are not to start (each is finished unrun). Then `draining`: wait until nothing runs, or
 *    `drainTimeout`, when `abortRunning` fires their AbortSignal.
 * 5. `requeuing`: the `requeue` actor puts everything left in this queue's
 *    private list back at the front of the queue (it is worse to lose a job
 *    than to run it twice: an aborted job that still finishes may run again).
 *    Then `done`.
 */
import { assign, fromPromise, sendTo, setup, stateIn } from 'xstate';
import type { RawJob } from '../src/job/raw.js';
import { fetcherMachine, type FetcherEvent, type JobsEvent } from './fetcher.js';
import { Tag } from './tags.js';

/** Queue settings. */
export interface QueueInput {
  readonly name: string;
  /** Most jobs running at once. */
  readonly limit: number;
  /** Most jobs held beyond `limit` while the jobs are quick (`pace`). @defaultValue 0 */
  readonly prefetch?: number;
  readonly quiet?: boolean;
  /** How long shutdown waits for running jobs, ms. */
  readonly drainTimeout: number;
  /** Fetcher settings (see `FetcherInput`). */
  readonly blockMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Wait before restarting a crashed fetcher, ms. */
  readonly restartDelay: number;
}

/** The queue's state, visible in the inspector. */
export interface QueueContext {
  readonly name: string;
  readonly limit: number;
  /** Most jobs held beyond `limit`. */
  readonly prefetch: number;
  /** Jobs held beyond `limit` now, as the last `pace` said (0 to `prefetch`). */
  readonly extra: number;
  /** Freed slots to keep from the fetcher (`extra` shrank), or, below 0, extra slots to ask for with the next ones (it grew). */
  readonly withheld: number;
  /** Delivered and not finished: running, or waiting for a slot. */
  readonly running: number;
  readonly quiet: boolean;
  readonly drainTimeout: number;
  readonly blockMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly restartDelay: number;
  readonly timedOut: boolean;
  readonly started: number;
  readonly fetcherRestarts: number;
}

/** Events the queue accepts. */
export type QueueEvent =
  | JobsEvent
  /** `count` jobs (default 1) have settled; `src/` batches them per tick. */
  | { type: 'job.finished'; count?: number }
  /** From `src/`: how many jobs to hold beyond `limit`, as the jobs' recent durations allow (0: none). */
  | { type: 'pace'; extra: number }
  | { type: 'configure'; quiet?: boolean; drainTimeout?: number }
  | { type: 'redis.ready' }
  | { type: 'shutdown' };

/** Jobs the queue may hold now: `limit`, and `extra` more while the jobs are quick. */
const capacity = (context: QueueContext): number => context.limit + context.extra;

/** The `extra` a `pace` event asks for, within 0…`prefetch`. */
const paceExtra = (context: QueueContext, event: QueueEvent): number =>
  event.type === 'pace' ? Math.max(0, Math.min(context.prefetch, Math.floor(event.extra))) : context.extra;

/** The Queue statechart; `src/` provides `startJobs`, `abortRunning`, `requeue` and the fetcher's IO. */
export const queueMachine = setup({
  types: {
    input: {} as QueueInput,
    context: {} as QueueContext,
    events: {} as QueueEvent,
    tags: {} as Tag,
  },
  actors: {
    fetcher: fetcherMachine,
    requeue: fromPromise<number, { queue: string }>(async () => {
      throw new Error('queue: the requeue actor was not provided');
    }),
  },
  actions: {
    startJobs: (_, _jobs: readonly RawJob[]) => {
      throw new Error('queue: the startJobs action was not provided');
    },
    abortRunning: () => {
      throw new Error('queue: the abortRunning action was not provided');
    },
    releaseWaiting: () => {
      throw new Error('queue: the releaseWaiting action was not provided');
    },
    countStarted: assign(({ context }, jobs: readonly RawJob[]) => ({
      running: context.running + jobs.length,
      started: context.started + jobs.length,
    })),
    countFinished: assign(({ context, event }) => {
      const count = event.type === 'job.finished' ? (event.count ?? 1) : 0;
      return { running: Math.max(0, context.running - count), withheld: Math.max(0, context.withheld - count) };
    }),
    /** Ask for the freed slots not withheld (read before `countFinished`). */
    freeSlot: sendTo('fetcher', ({ context, event }): FetcherEvent => ({
      type: 'demand',
      count: (event.type === 'job.finished' ? (event.count ?? 1) : 0) - context.withheld,
    })),
    /** More extra slots: asked for with the next freed ones; fewer: that many freed slots withheld. */
    setPace: assign(({ context, event }) => {
      const extra = paceExtra(context, event);
      return { extra, withheld: context.withheld + context.extra - extra };
    }),
    /** A (re)started fetcher is asked for what the context says: nothing withheld beyond the jobs held over capacity. */
    resetWithheld: assign(({ context }) => ({ withheld: Math.max(0, context.running - capacity(context)) })),
    configure: assign(({ context, event }) =>
      event.type === 'configure'
        ? { quiet: event.quiet ?? context.quiet, drainTimeout: event.drainTimeout ?? context.drainTimeout }
        : {},
    ),
    forwardConfigure: sendTo('fetcher', ({ context }): FetcherEvent => ({ type: 'configure', quiet: context.quiet })),
    stopFetcher: sendTo('fetcher', { type: 'shutdown' } satisfies FetcherEvent),
    forwardReady: sendTo('fetcher', { type: 'redis.ready' } satisfies FetcherEvent),
    countFetcherRestart: assign(({ context }) => ({ fetcherRestarts: context.fetcherRestarts + 1 })),
    markTimedOut: assign({ timedOut: true }),
  },
  delays: {
    drainTimeout: ({ context }) => context.drainTimeout,
    restartDelay: ({ context }) => context.restartDelay,
  },
  guards: {
    drained: ({ context }) => context.running === 0 || context.timedOut,
    /** The finished jobs free more slots than are withheld. */
    frees: ({ context, event }) => event.type === 'job.finished' && (event.count ?? 1) > context.withheld,
    /** A `pace` that changes `extra` (the same one again changes nothing). */
    paceChanges: ({ context, event }) => event.type === 'pace' && paceExtra(context, event) !== context.extra,
    /** The fetcher was told to stop (a crash now is not restarted). */
    stoppingFetcher: stateIn({ active: 'stoppingFetcher' }),
  },
}).createMachine({
  id: 'queue',
  context: ({ input }) => ({
    name: input.name,
    limit: input.limit,
    prefetch: input.prefetch ?? 0,
    extra: 0,
    withheld: 0,
    running: 0,
    quiet: input.quiet ?? false,
    drainTimeout: input.drainTimeout,
    blockMs: input.blockMs,
    backoffMs: input.backoffMs,
    maxBackoffMs: input.maxBackoffMs,
    restartDelay: input.restartDelay,
    timedOut: false,
    started: 0,
    fetcherRestarts: 0,
  }),
  initial: 'active',
  // outside `active` there is no fetcher: configure is only kept (a restarted
  // fetcher takes it from its input); `sendTo` a missing child would throw
  on: {
    configure: { actions: 'configure' },
    'job.finished': { actions: 'countFinished' },
    pace: { guard: 'paceChanges', actions: 'setPace' },
  },
  states: {
    active: {
      invoke: {
        id: 'fetcher',
        src: 'fetcher',
        input: ({ context }) => ({
          queue: context.name,
          quiet: context.quiet,
          demand: Math.max(0, capacity(context) - context.running),
          blockMs: context.blockMs,
          backoffMs: context.backoffMs,
          maxBackoffMs: context.maxBackoffMs,
        }),
        // the fetcher only finishes when told to shut down
        onDone: { target: 'draining' },
        // a crash while it stops is not restarted: the shutdown goes on
        onError: [{ guard: 'stoppingFetcher', target: 'draining' }, { target: 'fetcherCrashed' }],
      },
      on: {
        configure: { actions: ['configure', 'forwardConfigure'] },
        'redis.ready': { actions: 'forwardReady' },
      },
      initial: 'running',
      states: {
        running: {
          // entered with `active` only: a (re)started fetcher's first demand
          entry: 'resetWithheld',
          on: {
            jobs: {
              // start first: the count is the same step's bookkeeping, no need to wait for it
              actions: [
                { type: 'startJobs', params: ({ event }) => event.jobs },
                { type: 'countStarted', params: ({ event }) => event.jobs },
              ],
            },
            'job.finished': [{ guard: 'frees', actions: ['freeSlot', 'countFinished'] }, { actions: 'countFinished' }],
            shutdown: { target: 'stoppingFetcher', actions: 'releaseWaiting' },
          },
        },
        // wait for the fetcher's in-flight call; what it still delivers stays
        // in the private list and is requeued
        stoppingFetcher: {
          tags: [Tag.stopping],
          entry: 'stopFetcher',
          on: { jobs: {} },
        },
      },
    },
    fetcherCrashed: {
      tags: [Tag.backoff],
      entry: 'countFetcherRestart',
      after: { restartDelay: 'active' },
      on: { shutdown: { target: 'draining', actions: 'releaseWaiting' } },
    },
    draining: {
      tags: [Tag.stopping],
      after: {
        drainTimeout: { actions: ['abortRunning', 'markTimedOut'] },
      },
      always: { guard: 'drained', target: 'requeuing' },
    },
    requeuing: {
      tags: [Tag.io, Tag.stopping],
      invoke: {
        id: 'requeue',
        src: 'requeue',
        input: ({ context }) => ({ queue: context.name }),
        onDone: 'done',
        // the private list stays registered: orphan recovery brings it back
        onError: 'done',
      },
    },
    done: { type: 'final' },
  },
});
