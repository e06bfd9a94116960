/**
 * The Flusher's `io` actor: one long-lived child that runs every flush call
 * of the Flusher's life, instead of one promise actor per call (creating,
 * starting and stopping an actor per call cost more CPU than the write it
 * made, on the path of every job enqueued into an idle client).
 *
 * The Flusher sends `flush` on entering `flushing` or `finalFlush` and waits
 * there for the one reply; it never has two calls outstanding. `flusherIO`
 * turns the call, supplied by `src/` as a plain promise function, into that
 * actor; it does no I/O itself. `signal` aborts when the actor stops (the
 * Flusher stopped, or is being restarted): a call that sees it ends after
 * its in-flight write, so two incarnations never write at once.
 */
import { fromCallback } from 'xstate';
import { settleCall } from './io-call.js';

/** What one flush call reports. */
export interface FlushOutput {
  /** Jobs written by this call. */
  readonly written: number;
  /** Jobs still waiting in the buffer afterwards. */
  readonly remaining: number;
}

/** What the Flusher asks of its `io` actor. */
export type FlusherCommand = { type: 'flush' };

/** The `io` actor's reply to one `flush`. */
export type FlusherReply =
  | { type: 'io.flushed'; output: FlushOutput }
  /** The write failed; every job of it is back in the buffer. */
  | { type: 'io.failed'; error: unknown };

/** The call behind the `io` actor. */
export interface FlusherCalls {
  /** Told once, as the actor starts, of the signal that aborts when it stops. */
  started?(signal: AbortSignal): void;
  /** One flush call: write what waits; rejects when a write failed. */
  flush(signal: AbortSignal): Promise<FlushOutput>;
}

/** The `io` actor logic over `calls`; a reply after its stop is dropped (xstate's `fromCallback` drops a stopped actor's `sendBack`). */
export function flusherIO(calls: FlusherCalls) {
  return fromCallback<FlusherCommand>(({ sendBack, receive }) => {
    const lifetime = new AbortController();
    calls.started?.(lifetime.signal);
    const reply = (event: FlusherReply) => sendBack(event);
    const failed = (error: unknown) => reply({ type: 'io.failed', error });
    receive(() => settleCall(() => calls.flush(lifetime.signal), (output) => reply({ type: 'io.flushed', output }), failed));
    return () => lifetime.abort();
  });
}
