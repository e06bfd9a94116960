/**
 * Reporter — one telemetry sink (the logger, the instrumenter, a user
 * reporter) fed by the reporter bus (src/reporters/bus.ts). Jobs are not
 * actors (docs/architecture.md §6 item 5): the bus collects every job's lifecycle events
 * and sends each reporter ONE `report.batch` per tick, so this chart takes
 * one step per tick, not five per job.
 *
 * 1. `running`: each `report.batch` runs the `deliver` action with the
 *    batch's events, in the order the jobs produced them (`started`, then
 *    `success` | `aborted` | `failure`, then `stopped`). `deliver` is
 *    synchronous: it hands the events over and returns; async work is its
 *    own business and is never awaited (a slow reporter must not slow jobs,
 *    docs/kiq-elixir.md bug 20).
 * 2. A `deliver` that throws crashes the actor (status `'error'`): its
 *    supervisor sees `xstate.error.actor.<id>` and restarts it under the
 *    same systemId. The bus looks reporters up by systemId at every send,
 *    so the next batch reaches the new incarnation.
 * 3. `shutdown`: `draining` keeps delivering for `drainMs` (the bus sends
 *    at most once per tick, so a batch already scheduled when the shutdown
 *    came still arrives), then `done` (final).
 *
 * Pure: no IO, no clock; `src/reporters` provides `deliver`.
 */
import { assign, setup } from 'xstate';
import type { JobPayload } from '../src/job/payload.js';
import { Tag } from './tags.js';

/** Fields every job event has. */
interface JobEventBase {
  /** The decoded payload, as the job ran (`retry_count` before any increment). Shared: do not mutate. */
  readonly job: JobPayload;
  /** The queue the job was fetched from (a payload may lack `queue`). */
  readonly queue: string;
}

/** `perform` is about to run (after decoding, the expiry and the stop check). */
export interface JobStartedEvent extends JobEventBase {
  readonly type: 'started';
}

/** `perform` resolved; the job is acked. */
export interface JobSuccessEvent extends JobEventBase {
  readonly type: 'success';
  /** Run time of `perform`, monotonic ms. */
  readonly durationMs: number;
}

/**
 * The job did not run to an end of its own: `expired` (never started) or
 * `shutdown` (the process is stopping; the job is requeued, not retried).
 */
export interface JobAbortedEvent extends JobEventBase {
  readonly type: 'aborted';
  readonly reason: 'expired' | 'shutdown';
}

/** `perform` threw (or the worker is unknown); `outcome` says what Kiq did with the job. */
export interface JobFailureEvent extends JobEventBase {
  readonly type: 'failure';
  /** What was thrown, as an `Error`. */
  readonly error: Error;
  /** `retry` (in the retry set), `dead` (in the dead set) or `discard` (dropped). */
  readonly outcome: 'retry' | 'dead' | 'discard';
  /** Run time of `perform`, ms; absent when it never ran (unknown worker). */
  readonly durationMs?: number;
}

/** Sent after the outcome of every job that started; never for one that did not. */
export interface JobStoppedEvent extends JobEventBase {
  readonly type: 'stopped';
}

/** One job lifecycle event, as every reporter receives it. Switch on `type`. */
export type JobEvent = JobStartedEvent | JobSuccessEvent | JobAbortedEvent | JobFailureEvent | JobStoppedEvent;

/** The batch the bus sends each reporter once per tick. */
export type ReportBatchEvent = { type: 'report.batch'; events: readonly JobEvent[] };

/** Events a reporter accepts. */
export type ReporterMachineEvent = ReportBatchEvent | { type: 'shutdown' };

/**
 * Reporter settings; optional (`void` rather than `undefined`, as for the
 * supervisor: xstate's `setup` would otherwise make `input` mandatory).
 */
export type ReporterInput = {
  /** How long `draining` still delivers after `shutdown`, ms. @defaultValue 0 (one timer hop) */
  readonly drainMs?: number;
} | void;

/** What the inspector shows for a reporter. */
export interface ReporterContext {
  readonly drainMs: number;
  /** Batches delivered by this incarnation. */
  readonly batches: number;
  /** Events delivered by this incarnation. */
  readonly events: number;
}

/** The Reporter statechart; `src/reporters` provides `deliver`. */
export const reporterMachine = setup({
  types: {
    input: {} as ReporterInput,
    context: {} as ReporterContext,
    events: {} as ReporterMachineEvent,
    tags: {} as Tag,
  },
  actions: {
    deliver: (_, _params: { events: readonly JobEvent[] }): void => {
      throw new Error('reporter: the deliver action was not provided');
    },
    // Counted after `deliver`: a crashing batch is not counted as delivered.
    count: assign(({ context }, params: { events: readonly JobEvent[] }) => ({
      batches: context.batches + 1,
      events: context.events + params.events.length,
    })),
  },
  delays: {
    drain: ({ context }) => context.drainMs,
  },
}).createMachine({
  id: 'reporter',
  context: ({ input }) => ({ drainMs: Math.max(0, input?.drainMs ?? 0), batches: 0, events: 0 }),
  on: {
    'report.batch': {
      actions: [
        { type: 'deliver', params: ({ event }) => ({ events: event.events }) },
        { type: 'count', params: ({ event }) => ({ events: event.events }) },
      ],
    },
  },
  initial: 'running',
  states: {
    running: {
      tags: [Tag.idle],
      on: { shutdown: 'draining' },
    },
    draining: {
      tags: [Tag.stopping],
      after: { drain: 'done' },
    },
    done: { type: 'final' },
  },
});

/** The logic `reporterMachine` is, for typing refs and `.provide()` results. */
export type ReporterLogic = typeof reporterMachine;
