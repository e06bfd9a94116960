/**
 * Ticker — a periodic IO loop: the retry and schedule pollers, the
 * resurrector and the liveness beat are each one Ticker with its own `tick`.
 *
 * 1. `waiting`: sleep `delay` ms (from the input at first).
 * 2. `ticking`: run the `tick` actor once. It does its IO, handles Redis
 *    errors itself, and answers how long to wait before the next tick (0 to
 *    go again at once, e.g. when a poller moved a full batch; clamped to
 *    0 … MAX_TIMER_MS; no number at all waits `retryDelay`). Randomness and
 *    backoff live in the tick, so this chart stays pure.
 * 3. A tick that rejects anyway (a bug) is logged by the runtime and the loop
 *    waits `retryDelay` ms: a broken tick must not burn the supervisor's
 *    restart intensity.
 * 4. `shutdown`: while waiting, stop at once; while ticking, finish the tick
 *    first (an IO call is never abandoned half-way), then stop.
 * 5. `redis.ready` (a connection came back) while waiting: tick now instead
 *    of waiting out the delay (the reconciler looks at its private lists on
 *    every reconnect).
 */
import { assign, fromPromise, setup } from 'xstate';
import { Tag } from './tags.js';
import { MAX_TIMER_MS } from './timer-limit.js';

/** Ticker settings. */
export interface TickerInput {
  /** Wait before the first tick, ms (0: tick at once). */
  readonly firstDelay: number;
  /** Wait after a tick that failed unexpectedly, ms. */
  readonly retryDelay: number;
}

/** What one tick answers. */
export interface TickOutput {
  /** Wait before the next tick, ms. */
  readonly nextDelay: number;
}

/** The ticker's state, visible in the inspector. */
export interface TickerContext {
  readonly delay: number;
  readonly retryDelay: number;
  readonly ticks: number;
  readonly failures: number;
  readonly stopping: boolean;
}

/** Events the ticker accepts. */
export type TickerEvent = { type: 'shutdown' } | { type: 'configure'; quiet?: boolean } | { type: 'redis.ready' };

/** The delay a tick answered, made safe for a timer; no number (a bug) waits `retryDelay`. */
const nextWait = (nextDelay: number | undefined, retryDelay: number): number =>
  typeof nextDelay !== 'number' || Number.isNaN(nextDelay) ? retryDelay : Math.min(Math.max(0, nextDelay), MAX_TIMER_MS);

/** The Ticker statechart; `src/` provides the `tick` actor. */
export const tickerMachine = setup({
  types: {
    input: {} as TickerInput,
    context: {} as TickerContext,
    events: {} as TickerEvent,
    tags: {} as Tag,
  },
  actors: {
    tick: fromPromise<TickOutput>(async () => {
      throw new Error('ticker: the tick actor was not provided');
    }),
  },
  delays: {
    delay: ({ context }) => context.delay,
  },
  guards: {
    stopping: ({ context }) => context.stopping,
  },
  actions: {
    /** A tick ended: wait what it answered (made safe for a timer). */
    scheduleNext: assign(({ context }, output: TickOutput | undefined) => ({ delay: nextWait(output?.nextDelay, context.retryDelay), ticks: context.ticks + 1 })),
    /** A tick rejected (a bug): wait `retryDelay`. */
    scheduleRetry: assign(({ context }) => ({ delay: context.retryDelay, failures: context.failures + 1 })),
    markStopping: assign({ stopping: true }),
  },
}).createMachine({
  id: 'ticker',
  context: ({ input }) => ({ delay: input.firstDelay, retryDelay: input.retryDelay, ticks: 0, failures: 0, stopping: false }),
  initial: 'waiting',
  states: {
    waiting: {
      tags: [Tag.idle],
      after: { delay: 'ticking' },
      on: { shutdown: 'done', 'redis.ready': 'ticking' },
    },
    ticking: {
      tags: [Tag.io],
      invoke: {
        id: 'tick',
        src: 'tick',
        onDone: {
          target: 'ticked',
          actions: { type: 'scheduleNext', params: ({ event }) => event.output as TickOutput | undefined },
        },
        onError: {
          target: 'ticked',
          actions: 'scheduleRetry',
        },
      },
      on: { shutdown: { actions: 'markStopping' } },
    },
    ticked: {
      always: [{ guard: 'stopping', target: 'done' }, { target: 'waiting' }],
    },
    done: { type: 'final' },
  },
});
