/**
 * The Fetcher's `io` actor: one long-lived child that runs the fetcher's
 * Redis calls, invoked once for the fetcher's whole life instead of one
 * promise actor per call. A busy queue makes one call per round; creating,
 * starting and stopping an actor for each cost more CPU than the rest of the
 * round's statechart steps (docs/architecture.md §5).
 *
 * The fetcher sends a command on entering `fetching` or `blocking`
 * ({@link FetcherCommand}) and waits there for the one reply
 * ({@link FetcherReply}); it never has two calls in flight. `fetcherIO`
 * turns the two calls, supplied by `src/` as plain promise functions, into
 * that actor. It does no I/O itself.
 *
 * A reply with jobs hands them to the fetcher's Queue first, as the
 * `jobs` event ({@link JobsEvent}), then goes to the fetcher: every reply
 * with jobs is delivered, whatever the fetcher's state, so the fetcher's
 * step need not come between a job's arrival and its start (on a paced,
 * cold path a statechart step costs tens of microseconds).
 */
import { fromCallback, type AnyActorRef } from 'xstate';
import type { RawJob } from '../src/job/raw.js';
import { settleCall } from './io-call.js';

/** Input of one `fetch` call. */
export interface FetchInput {
  readonly queue: string;
  readonly max: number;
}

/** Input of one `block` call. */
export interface BlockInput {
  readonly queue: string;
  readonly timeoutMs: number;
}

/** What the fetcher asks of its `io` actor. */
export type FetcherCommand = { type: 'fetch'; input: FetchInput } | { type: 'block'; input: BlockInput };

/** The `io` actor's reply to one command. */
export type FetcherReply =
  | { type: 'io.fetched'; jobs: readonly RawJob[] }
  /** The job the wait took (none: it timed out or was interrupted, or the queue is paused); the fetcher fetches the rest of its free slots after it. */
  | { type: 'io.blocked'; jobs: readonly RawJob[] }
  /** The call failed (a Redis error, or a bug in the call: both back off). */
  | { type: 'io.failed'; error: unknown };

/** What the `io` actor sends the fetcher's Queue: raw jobs, exactly as fetched (a string, or bytes when not UTF-8), oldest first. */
export type JobsEvent = { type: 'jobs'; jobs: readonly RawJob[] };

/** The `io` actor's input, from its fetcher. */
export interface FetcherIOInput {
  /** Where fetched jobs go (the fetcher's parent, the Queue); absent: only to the fetcher's reply. */
  readonly deliverTo?: AnyActorRef;
}

/** The two calls behind the `io` actor. */
export interface FetcherCalls {
  /** Move up to `max` jobs into the private list (one batch). */
  fetch(input: FetchInput): Promise<readonly RawJob[]>;
  /** Wait up to `timeoutMs` for one job (none when the wait ends without one). */
  block(input: BlockInput): Promise<readonly RawJob[]>;
}

/**
 * The `io` actor logic over `calls`. A reply that lands after the actor was
 * stopped (its fetcher was stopped from outside) is dropped, as xstate's
 * `fromCallback` drops a `sendBack` from a stopped actor: its jobs are
 * already in the private list, which shutdown or orphan recovery requeues.
 */
export function fetcherIO(calls: FetcherCalls) {
  return fromCallback<FetcherCommand, FetcherIOInput | undefined>(({ sendBack, receive, input }) => {
    const deliverTo = input?.deliverTo;
    let stopped = false;
    const reply = (event: FetcherReply) => sendBack(event);
    const failed = (error: unknown) => reply({ type: 'io.failed', error });
    const fetched = (type: 'io.fetched' | 'io.blocked', jobs: readonly RawJob[]) => {
      // a malformed reply (a bug in a call) goes to the fetcher alone, whose step then fails as it always did
      if (deliverTo && !stopped && Array.isArray(jobs) && jobs.length > 0) deliverTo.send({ type: 'jobs', jobs } satisfies JobsEvent);
      reply({ type, jobs });
    };
    receive((command) => {
      if (command.type === 'fetch') settleCall(() => calls.fetch(command.input), (jobs) => fetched('io.fetched', jobs), failed);
      else settleCall(() => calls.block(command.input), (jobs) => fetched('io.blocked', jobs), failed);
    });
    return () => {
      stopped = true;
    };
  });
}
