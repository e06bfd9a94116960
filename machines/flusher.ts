/**
 * Flusher — reliable push (Kiq.Client, docs/sidekiq-contract.md §8).
 *
 * 1. Start in `flushing` (jobs may already wait), then `idle`: nothing to write. The job buffer sends `enqueued` when a job
 *    lands in an empty buffer.
 * 2. `flushing`: one flush call of the `io` actor (machines/flusher-io.ts)
 *    takes a batch from the buffer and writes it in one round trip. Jobs that
 *    arrive meanwhile wait and go out together in the next batch (group
 *    commit), which starts as soon as this one is done: from the same call
 *    while it runs (src/client/flush-actor.ts, without a spool), else through
 *    `written` and a new call. Without a spool, the job that wakes an `idle`
 *    flusher starts its call before `enqueued` arrives; the call `flushing`
 *    asks for is that one.
 * 3. On a Redis error every job stays in the buffer and the flusher waits in
 *    `backingOff`: the interval grows ×1.5 from `interval` up to
 *    `maxInterval`, and resets on the first success (`flusher.restored`);
 *    `redis.ready` (a connection came back) ends the wait at once.
 * 4. `shutdown`: an in-flight write is never aborted; then `finalFlush`
 *    writes whatever is left, retrying with backoff until the buffer is empty
 *    or the supervisor's shutdown timeout stops the actor. Then `done`.
 */
import { assign, emit, fromCallback, sendTo, setup } from 'xstate';
import type { FlusherCommand, FlusherReply, FlushOutput } from './flusher-io.js';
import { Tag } from './tags.js';

export type { FlushOutput } from './flusher-io.js';

/** Flusher settings, in milliseconds. */
export interface FlusherInput {
  /** First backoff interval after a failed write (Kiq's `flush_interval`, 10 ms). */
  readonly interval: number;
  /** Backoff cap (5,000 ms in Kiq). */
  readonly maxInterval: number;
}

/** The flusher's state, visible in the inspector. */
export interface FlusherContext {
  readonly base: number;
  readonly maxInterval: number;
  /** Current backoff interval. */
  readonly interval: number;
  /** Consecutive failed writes. */
  readonly failures: number;
  /** Jobs written since start. */
  readonly written: number;
  /** Jobs left in the buffer after the last write. */
  readonly remaining: number;
  /** A job arrived in an empty buffer while a write was in flight. */
  readonly nudged: boolean;
  /** A shutdown arrived while a write was in flight. */
  readonly stopping: boolean;
}

/** Events the flusher accepts. */
export type FlusherEvent = { type: 'enqueued' } | { type: 'redis.ready' } | { type: 'shutdown' };

/** Events the flusher emits to `actor.on(...)` listeners. */
export type FlusherEmitted =
  | { type: 'flusher.failed'; error: unknown; failures: number; nextInterval: number }
  | { type: 'flusher.restored'; failures: number };

const nextInterval = (context: FlusherContext) => Math.min(Math.trunc(context.interval * 1.5), context.maxInterval);

/** The Flusher statechart; `src/` provides the `io` actor (`flusherIO` in machines/flusher-io.ts over its flush call). */
export const flusherMachine = setup({
  types: {
    input: {} as FlusherInput,
    context: {} as FlusherContext,
    events: {} as FlusherEvent | FlusherReply,
    emitted: {} as FlusherEmitted,
    tags: {} as Tag,
  },
  actors: {
    io: fromCallback<FlusherCommand>(() => {
      throw new Error('flusher: the io actor was not provided');
    }),
  },
  delays: {
    backoff: ({ context }) => context.interval,
  },
  guards: {
    stopping: ({ context }) => context.stopping,
    wasFailing: ({ context }) => context.failures > 0,
    // `remaining` is read when the write ends; a nudge that arrived after that
    // but before the done event must not be lost
    moreWaiting: ({ context }) => context.remaining > 0 || context.nudged,
  },
  actions: {
    recordWrite: assign(({ context }, output: FlushOutput) => ({
      written: context.written + output.written,
      remaining: output.remaining,
    })),
    recover: assign(({ context }) => ({ interval: context.base, failures: 0 })),
    reportRestored: emit(({ context }) => ({ type: 'flusher.restored' as const, failures: context.failures })),
    backOff: assign(({ context }) => ({ interval: nextInterval(context), failures: context.failures + 1 })),
    reportFailure: emit(({ context, event }) => ({
      type: 'flusher.failed' as const,
      error: 'error' in event ? event.error : undefined,
      failures: context.failures,
      nextInterval: context.interval,
    })),
    /** Ask the `io` actor for one flush call. */
    startFlush: sendTo('io', { type: 'flush' } satisfies FlusherCommand),
    markStopping: assign({ stopping: true }),
    markNudged: assign({ nudged: true }),
    clearNudged: assign({ nudged: false }),
  },
}).createMachine({
  id: 'flusher',
  context: ({ input }) => ({
    base: input.interval,
    maxInterval: input.maxInterval,
    interval: input.interval,
    failures: 0,
    written: 0,
    remaining: 0,
    nudged: false,
    stopping: false,
  }),
  // one child for every flush call of the flusher's life (machines/flusher-io.ts)
  invoke: { id: 'io', src: 'io' },
  // A (re)started flusher writes whatever is already waiting: jobs enqueued
  // before start, or left by a crashed incarnation, get no other nudge.
  initial: 'flushing',
  states: {
    idle: {
      tags: [Tag.idle],
      on: {
        enqueued: 'flushing',
        shutdown: 'finalFlush',
      },
    },
    flushing: {
      tags: [Tag.io],
      entry: ['clearNudged', 'startFlush'],
      on: {
        'io.flushed': [
          {
            guard: 'wasFailing',
            target: 'written',
            actions: [{ type: 'recordWrite', params: ({ event }) => event.output }, 'reportRestored', 'recover'],
          },
          { target: 'written', actions: [{ type: 'recordWrite', params: ({ event }) => event.output }] },
        ],
        'io.failed': {
          target: 'backingOff',
          actions: ['backOff', 'reportFailure'],
        },
        enqueued: { actions: 'markNudged' },
        shutdown: { actions: 'markStopping' },
      },
    },
    // group commit: jobs that arrived during the write go out at once
    written: {
      always: [{ guard: 'stopping', target: 'finalFlush' }, { guard: 'moreWaiting', target: 'flushing' }, { target: 'idle' }],
    },
    backingOff: {
      tags: [Tag.backoff],
      after: { backoff: 'flushing' },
      on: {
        // Redis is back: no need to wait out the rest of the backoff
        'redis.ready': 'flushing',
        shutdown: 'finalFlush',
      },
    },
    finalFlush: {
      tags: [Tag.io, Tag.stopping],
      entry: ['clearNudged', 'startFlush'],
      on: {
        'io.flushed': {
          target: 'finalWritten',
          actions: [{ type: 'recordWrite', params: ({ event }) => event.output }],
        },
        'io.failed': { target: 'finalBackoff', actions: ['backOff', 'reportFailure'] },
      },
    },
    finalWritten: {
      always: [{ guard: 'moreWaiting', target: 'finalFlush' }, { target: 'done' }],
    },
    finalBackoff: {
      tags: [Tag.backoff, Tag.stopping],
      after: { backoff: 'finalFlush' },
      on: { 'redis.ready': 'finalFlush' },
    },
    done: { type: 'final' },
  },
});
