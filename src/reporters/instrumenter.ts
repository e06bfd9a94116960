/**
 * @internal
 * The instrumenter reporter (Kiq's `Kiq.Reporter.Instrumenter`,
 * docs/kiq-elixir.md §6.3, §14): publishes each job event on its
 * `node:diagnostics_channel` channel and emits it as `kiq.on('job:…')`,
 * with the payloads listed in src/telemetry.ts. `stopped` is ignored.
 *
 * Zero cost when nobody listens: per event, one `hasSubscribers` read and
 * one listener lookup; the message is built only when one of them is
 * true, once, and shared by the channel and the emitter. The bus skips
 * this reporter entirely (no event recorded, no tick scheduled) while
 * {@link instrumenterWanted} is false.
 */
import type { JobEvent } from '../../machines/reporter.js';
import type { KiqEmitter } from '../events.js';
import { jobChannels, jobChannelsSubscribed, type JobMessage, type JobMessageBase } from '../telemetry.js';

/** The emitter events the instrumenter feeds. */
const EMITTER_EVENTS = {
  started: 'job:started',
  success: 'job:success',
  aborted: 'job:aborted',
  failure: 'job:failure',
} as const;

/** Does anybody listen to job telemetry (a channel subscriber or a `kiq.on('job:…')` listener)? */
export function instrumenterWanted(emitter: KiqEmitter | undefined): () => boolean {
  return () =>
    jobChannelsSubscribed() ||
    (emitter !== undefined &&
      (emitter.hasListeners('job:started') || emitter.hasListeners('job:success') || emitter.hasListeners('job:aborted') || emitter.hasListeners('job:failure')));
}

/** The message of a job event (src/telemetry.ts), or `undefined` for `stopped`. */
export function toMessage(event: JobEvent): JobMessage | undefined {
  const { job } = event;
  const base: JobMessageBase = { class: job.class, queue: event.queue, jid: typeof job.jid === 'string' ? job.jid : '', job };
  switch (event.type) {
    case 'started':
      return base;
    case 'success':
      return { ...base, durationMs: event.durationMs };
    case 'aborted':
      return { ...base, reason: event.reason };
    case 'failure':
      return {
        ...base,
        error: event.error,
        outcome: event.outcome,
        retryCount: typeof job.retry_count === 'number' ? job.retry_count : 0,
        ...(event.durationMs === undefined ? {} : { durationMs: event.durationMs }),
      };
    case 'stopped':
      return undefined;
  }
}

/** The instrumenter's per-event handler, for `guardedDeliver`. */
export function instrumenter(emitter: KiqEmitter | undefined): (event: JobEvent) => void {
  return (event) => {
    if (event.type === 'stopped') return;
    const channel = jobChannels[event.type];
    const name = EMITTER_EVENTS[event.type];
    const publish = channel.hasSubscribers;
    const emit = emitter !== undefined && emitter.hasListeners(name);
    if (!publish && !emit) return;
    const message = toMessage(event)!;
    if (publish) channel.publish(message);
    // the message matches the event's payload type: both come from the same event.type
    if (emit) emitter.emit(name, message as never);
  };
}
