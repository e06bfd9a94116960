/**
 * Fetcher — moves jobs from `queue:<name>` into this process's private list
 * (Sidekiq Pro super_fetch) and hands them to its Queue (Kiq.Queue.Producer).
 *
 * 1. The Queue sends `demand` (free slots). With demand and not quiet, the
 *    fetcher is `fetching`: one `fetch` call moves up to `demand` jobs (one
 *    Lua call); its `io` actor delivers them to the parent as one `jobs`
 *    event, before the fetcher's own step on the reply (machines/fetcher-io.ts).
 * 2. When the queue was empty it is `blocking`: one `block` call waits up to
 *    `blockMs` for the next job (BLMOVE on a dedicated connection), so a new
 *    job starts at once instead of at the next poll. The call takes that
 *    one job and nothing more: once it is delivered, a `fetch` takes the
 *    burst behind it (if slots are left) and, finding the queue empty,
 *    leads back to `blocking`. Nothing rides behind the BLMOVE, so its
 *    reply, and the job, are not held up by Redis running a script. The
 *    fetcher is `following` until that job has finished (its freed slot
 *    comes back as `demand`), at most {@link FOLLOW_MS}: the fetch then
 *    carries the job's ack, one script call per lone job instead of two.
 * 3. Redis errors: `backingOff`, ×2 from `backoffMs` up to `maxBackoffMs`,
 *    reset by the next success; `redis.ready` (a connection came back) ends
 *    the wait at once. Jobs are only ever moved by Redis itself, so
 *    an error loses nothing.
 * 4. `configure { quiet: true }`: no new fetch starts (an in-flight call
 *    finishes and its jobs are delivered: they are already in the private
 *    list). `quiet: false` resumes.
 * 5. `shutdown`: an in-flight call finishes first (a BLMOVE that lands after
 *    the private list was requeued would strand its job), then `done` — also
 *    when that call fails (no backoff wait on the way out). A `block` in
 *    flight is asked to end now (`interruptBlock`: it returns as if timed
 *    out), so an idle queue stops at once, not after up to `blockMs`.
 */
import { assign, fromCallback, sendTo, setup } from 'xstate';
import type { RawJob } from '../src/job/raw.js';
import type { FetcherCommand, FetcherIOInput, FetcherReply } from './fetcher-io.js';
import { Tag } from './tags.js';

export type { BlockInput, FetchInput, JobsEvent } from './fetcher-io.js';

/**
 * Longest the burst fetch after a job from the blocking wait waits for that
 * job to finish (so that it carries the job's ack), ms. A burst behind a
 * slow job starts this much later; one behind a quick job, when it ends.
 */
export const FOLLOW_MS = 2;

/** Fetcher settings. */
export interface FetcherInput {
  readonly queue: string;
  readonly quiet?: boolean;
  /** Free slots at start. */
  readonly demand?: number;
  /** Longest single blocking wait, ms (the `fetchInterval` option). */
  readonly blockMs: number;
  /** First backoff step after a Redis error, ms. */
  readonly backoffMs: number;
  /** Backoff cap, ms. */
  readonly maxBackoffMs: number;
}

/** The fetcher's state, visible in the inspector. */
export interface FetcherContext {
  readonly queue: string;
  /** Jobs the queue can take now. */
  readonly demand: number;
  readonly quiet: boolean;
  readonly stopping: boolean;
  readonly blockMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Current backoff wait. */
  readonly backoff: number;
  readonly failures: number;
  /** Jobs delivered since start. */
  readonly fetched: number;
}

/** Events the fetcher accepts. */
export type FetcherEvent =
  | { type: 'demand'; count: number }
  | { type: 'configure'; quiet?: boolean }
  | { type: 'redis.ready' }
  | { type: 'shutdown' };

/** The Fetcher statechart; `src/` provides the `io` actor (`fetcherIO` in machines/fetcher-io.ts over its two calls). */
export const fetcherMachine = setup({
  types: {
    input: {} as FetcherInput,
    context: {} as FetcherContext,
    events: {} as FetcherEvent | FetcherReply,
    tags: {} as Tag,
  },
  actors: {
    io: fromCallback<FetcherCommand, FetcherIOInput | undefined>(() => {
      throw new Error('fetcher: the io actor was not provided');
    }),
  },
  delays: {
    backoff: ({ context }) => context.backoff,
    follow: FOLLOW_MS,
  },
  guards: {
    stopping: ({ context }) => context.stopping,
    quiet: ({ context }) => context.quiet,
    hasDemand: ({ context }) => context.demand > 0,
    fetchedSome: (_, jobs: readonly RawJob[]) => jobs.length > 0,
    /** The jobs fill every free slot and the fetcher is neither stopping nor quiet: `deciding` would choose `idle`. */
    filled: ({ context }, jobs: readonly RawJob[]) => jobs.length >= context.demand && !context.stopping && !context.quiet,
    /** Some slots came free (in `idle` the fetcher is neither stopping nor quiet: `deciding` would choose `fetching`). */
    freed: ({ event }) => event.type === 'demand' && event.count > 0,
    /** The queue was empty: wait for the next job, unless told to stop or be quiet meanwhile. */
    mayBlock: ({ context }) => !context.stopping && !context.quiet,
    /** Jobs came and slots are left, neither stopping nor quiet: `deciding` would choose `fetching` (for the burst behind them; `following` first). */
    fetchMore: ({ context }, jobs: readonly RawJob[]) => jobs.length > 0 && jobs.length < context.demand && !context.stopping && !context.quiet,
  },
  actions: {
    addDemand: assign(({ context, event }) => ({ demand: context.demand + (event.type === 'demand' ? event.count : 0) })),
    setQuiet: assign(({ context, event }) => ({ quiet: event.type === 'configure' ? (event.quiet ?? context.quiet) : context.quiet })),
    markStopping: assign({ stopping: true }),
    /** IO placeholder (bound in src/): end the blocking call in flight as if it had timed out. */
    interruptBlock: () => {},
    /** Ask the `io` actor for one batch of up to `demand` jobs. */
    startFetch: sendTo('io', ({ context }): FetcherCommand => ({ type: 'fetch', input: { queue: context.queue, max: context.demand } })),
    /** Ask the `io` actor to wait up to `blockMs` for the next job. */
    startBlock: sendTo('io', ({ context }): FetcherCommand => ({
      type: 'block',
      input: { queue: context.queue, timeoutMs: context.blockMs },
    })),
    took: assign(({ context }, jobs: readonly RawJob[]) => ({
      demand: Math.max(0, context.demand - jobs.length),
      fetched: context.fetched + jobs.length,
      backoff: context.backoffMs,
      failures: 0,
    })),
    backOff: assign(({ context }) => ({
      backoff: context.failures === 0 ? context.backoffMs : Math.min(context.backoff * 2, context.maxBackoffMs),
      failures: context.failures + 1,
    })),
  },
}).createMachine({
  id: 'fetcher',
  context: ({ input }) => ({
    queue: input.queue,
    demand: input.demand ?? 0,
    quiet: input.quiet ?? false,
    stopping: false,
    blockMs: input.blockMs,
    backoffMs: input.backoffMs,
    maxBackoffMs: input.maxBackoffMs,
    backoff: input.backoffMs,
    failures: 0,
    fetched: 0,
  }),
  // one child for every Redis call of the fetcher's life (machines/fetcher-io.ts)
  // its replies' jobs go straight to the Queue (the parent), then the reply comes here
  invoke: { id: 'io', src: 'io', input: ({ self }): FetcherIOInput => ({ deliverTo: self._parent }) },
  initial: 'deciding',
  // defaults for states with an IO call in flight: remember, act when it ends
  on: {
    demand: { actions: 'addDemand' },
    configure: { actions: 'setQuiet' },
    shutdown: { actions: 'markStopping' },
  },
  states: {
    deciding: {
      always: [
        { guard: 'stopping', target: 'done' },
        { guard: 'quiet', target: 'quiet' },
        { guard: 'hasDemand', target: 'fetching' },
        { target: 'idle' },
      ],
    },
    idle: {
      tags: [Tag.idle],
      on: {
        // straight to `fetching` (what `deciding` would choose), one step per round fewer
        demand: [
          { guard: 'freed', actions: 'addDemand', target: 'fetching' },
          { actions: 'addDemand', target: 'deciding' },
        ],
        configure: { actions: 'setQuiet', target: 'deciding' },
        shutdown: 'done',
      },
    },
    quiet: {
      tags: [Tag.quiet, Tag.idle],
      on: {
        configure: { actions: 'setQuiet', target: 'deciding' },
        shutdown: 'done',
      },
    },
    fetching: {
      tags: [Tag.io],
      entry: 'startFetch',
      on: {
        'io.fetched': [
          // a full batch: straight to `idle` (what `deciding` would choose)
          {
            guard: { type: 'filled', params: ({ event }) => event.jobs },
            target: 'idle',
            actions: [
              { type: 'took', params: ({ event }) => event.jobs },
            ],
          },
          {
            guard: { type: 'fetchedSome', params: ({ event }) => event.jobs },
            target: 'deciding',
            actions: [
              { type: 'took', params: ({ event }) => event.jobs },
            ],
          },
          // the queue is empty: wait for the next job
          { guard: 'mayBlock', target: 'blocking' },
          { target: 'deciding' },
        ],
        'io.failed': 'failed',
      },
    },
    blocking: {
      tags: [Tag.io, Tag.blocking],
      entry: 'startBlock',
      on: {
        // no waiting out a BLMOVE of up to blockMs on the way out
        shutdown: { actions: ['markStopping', 'interruptBlock'] },
        'io.blocked': [
          // the job fills the last free slot: straight to `idle` (what `deciding` would choose)
          {
            guard: { type: 'filled', params: ({ event }) => event.jobs },
            target: 'idle',
            actions: [
              { type: 'took', params: ({ event }) => event.jobs },
            ],
          },
          // slots are left: the burst behind it is fetched once the job has
          // finished (what `deciding` would choose, after `following`)
          {
            guard: { type: 'fetchMore', params: ({ event }) => event.jobs },
            target: 'following',
            actions: [
              { type: 'took', params: ({ event }) => event.jobs },
            ],
          },
          {
            guard: { type: 'fetchedSome', params: ({ event }) => event.jobs },
            target: 'deciding',
            actions: [
              { type: 'took', params: ({ event }) => event.jobs },
            ],
          },
          { target: 'deciding' },
        ],
        'io.failed': 'failed',
      },
    },
    // the job from the wait runs; its end (`demand`) starts the burst fetch,
    // which then carries its ack; a job still running after FOLLOW_MS does not hold it up
    following: {
      tags: [Tag.idle],
      after: { follow: 'fetching' },
      on: {
        demand: [{ guard: 'freed', actions: 'addDemand', target: 'fetching' }, { actions: 'addDemand' }],
        configure: { actions: 'setQuiet', target: 'deciding' },
        shutdown: 'done',
      },
    },
    // a Redis error: back off, unless a shutdown came during the call (the
    // call has ended, nothing is in flight: stop now, as from backingOff)
    failed: {
      always: [{ guard: 'stopping', target: 'done' }, { target: 'backingOff', actions: 'backOff' }],
    },
    backingOff: {
      tags: [Tag.backoff],
      after: { backoff: 'deciding' },
      on: {
        // Redis is back: no need to wait out the rest of the backoff
        'redis.ready': 'deciding',
        shutdown: 'done',
      },
    },
    done: { type: 'final' },
  },
});
