/**
 * The telemetry catalogue: every `node:diagnostics_channel` channel Kiq
 * publishes on and every job event `kiq.on(...)` delivers, with its payload
 * (oban `telemetry.ex`, docs/kiq-elixir.md §14).
 *
 * | channel / `kiq.on` event              | payload ({@link JobMessage})                                           |
 * | ------------------------------------- | ---------------------------------------------------------------------- |
 * | `kiq:job:started` / `job:started`     | `{ class, queue, jid, job }`                                           |
 * | `kiq:job:success` / `job:success`     | `{ class, queue, jid, job, durationMs }`                               |
 * | `kiq:job:aborted` / `job:aborted`     | `{ class, queue, jid, job, reason: 'expired' \| 'shutdown' }`          |
 * | `kiq:job:failure` / `job:failure`     | `{ class, queue, jid, job, error, outcome, retryCount, durationMs? }` |
 *
 * - `class`: the worker class; `queue`: the queue the job was fetched from;
 *   `jid`: the job id (`''` when the payload has none); `job`: the decoded
 *   payload as it ran (shared with every subscriber: read it, never mutate it).
 * - `durationMs`: run time of `perform`, monotonic milliseconds (Kiq's
 *   `timing` was µs). A failure has it only when `perform` ran (not for an
 *   unknown worker).
 * - `error`: what `perform` threw, as an `Error` (a non-Error throw is
 *   wrapped); `outcome`: `retry` (in the retry set), `dead` (in the dead
 *   set) or `discard` (dropped: `retry: false`, or `dead: false`);
 *   `retryCount`: retries before this run (0 on the first run).
 * - There is no `stopped` channel (as in Kiq); user reporters get `stopped`.
 *
 * How they are sent: the job path only records events; once per tick the
 * reporter bus hands them in one batch to the instrumenter reporter, which
 * publishes each one. So subscribers run outside the job (a slow one delays
 * telemetry, never a job, docs/kiq-elixir.md bug 20), in job order,
 * at most one tick late. Nothing is built when nobody listens: a channel
 * is published on only when `channel.hasSubscribers`, an event emitted only
 * when `kiq.on` has a listener for it. A subscriber must not throw: Node
 * reports a throw from a `diagnostics_channel` subscriber as an uncaught
 * exception (a `kiq.on` listener's throw is logged and ignored).
 *
 * @example
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.subscribe('kiq:job:success', (message) => {
 *   const { class: worker, queue, durationMs } = message as JobSuccessMessage;
 *   histogram.record(durationMs, { worker, queue });
 * });
 * kiq.on('job:failure', ({ class: worker, error, outcome }) => alert(worker, error, outcome));
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { JobPayload } from './job/payload.js';

/** Fields of every job message. */
export interface JobMessageBase {
  /** Worker class name. */
  readonly class: string;
  /** The queue the job was fetched from. */
  readonly queue: string;
  /** The job id; `''` when the payload has none (foreign producers). */
  readonly jid: string;
  /** The decoded payload as it ran. Shared: do not mutate. */
  readonly job: JobPayload;
}

/** `kiq:job:started` / `job:started`: `perform` is about to run. */
export type JobStartedMessage = JobMessageBase;

/** `kiq:job:success` / `job:success`: `perform` resolved and the job is acked. */
export interface JobSuccessMessage extends JobMessageBase {
  /** Run time of `perform`, monotonic ms. */
  readonly durationMs: number;
}

/** `kiq:job:aborted` / `job:aborted`: expired before it started, or cut short by a stop (requeued). */
export interface JobAbortedMessage extends JobMessageBase {
  readonly reason: 'expired' | 'shutdown';
}

/** `kiq:job:failure` / `job:failure`: `perform` threw (or no worker has the class). */
export interface JobFailureMessage extends JobMessageBase {
  /** What was thrown, as an `Error`. */
  readonly error: Error;
  /** What Kiq did with the job: `retry`, `dead` or `discard`. */
  readonly outcome: 'retry' | 'dead' | 'discard';
  /** Retries before this run (`retry_count` as it ran; 0 on the first run). */
  readonly retryCount: number;
  /** Run time of `perform`, ms; absent when it never ran. */
  readonly durationMs?: number;
}

/** Any job message. */
export type JobMessage = JobStartedMessage | JobSuccessMessage | JobAbortedMessage | JobFailureMessage;

/** Channel name → message type. The names are stable public API. */
export interface JobChannels {
  'kiq:job:started': JobStartedMessage;
  'kiq:job:success': JobSuccessMessage;
  'kiq:job:aborted': JobAbortedMessage;
  'kiq:job:failure': JobFailureMessage;
}

/** The names of the channels, by job event. */
export const CHANNEL_NAMES = Object.freeze({
  started: 'kiq:job:started',
  success: 'kiq:job:success',
  aborted: 'kiq:job:aborted',
  failure: 'kiq:job:failure',
} as const satisfies Record<string, keyof JobChannels>);

/**
 * @internal The channel objects. Held here for the life of the process:
 * Node keeps a channel only while it is referenced or subscribed.
 */
export const jobChannels = Object.freeze({
  started: diagnostics_channel.channel(CHANNEL_NAMES.started),
  success: diagnostics_channel.channel(CHANNEL_NAMES.success),
  aborted: diagnostics_channel.channel(CHANNEL_NAMES.aborted),
  failure: diagnostics_channel.channel(CHANNEL_NAMES.failure),
});

/** @internal Does any job channel have a subscriber? */
export function jobChannelsSubscribed(): boolean {
  return jobChannels.started.hasSubscribers || jobChannels.success.hasSubscribers || jobChannels.aborted.hasSubscribers || jobChannels.failure.hasSubscribers;
}
