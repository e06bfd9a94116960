/**
 * @internal
 * What this process really holds of its private lists, per queue: every
 * entry a fetch delivered that is not settled in Redis yet (running, or its
 * ack / retry / dead write still pending: src/server/acker.ts,
 * src/server/job-settler.ts), plus jobs delivered while stopping (they stay
 * in the list for the shutdown requeue). The reconciler
 * (src/server/reconciler.ts) puts back whatever a private list holds beyond
 * this.
 *
 * A fetch's entries are in the private list before its reply arrives, so
 * fetches are numbered: an entry seen in the list while a fetch was in
 * flight may be that fetch's, and is judged only once every fetch started
 * before the look has ended ({@link HeldJobs.fetchMark},
 * {@link HeldJobs.fetchesEnded}). A fetch that failed has ended too: its
 * reply was lost, and what it moved is exactly what must be put back.
 */
import type { RawJob } from '../job/raw.js';
import { RawCounts } from './raw-counts.js';

/** One queue's held entries and its fetches in flight. */
interface QueueHeld {
  readonly held: RawCounts;
  started: number;
  readonly inFlight: Set<number>;
}

/** Held entries of every queue of one process. */
export class HeldJobs {
  readonly #queues = new Map<string, QueueHeld>();

  /**
   * A fetch of `queue` (fetch-jobs.lua or BLMOVE) starts: returns its number,
   * to hand to {@link ended} when its reply (or its failure) arrives.
   */
  started(queue: string): number {
    const state = this.#queue(queue);
    const id = ++state.started;
    state.inFlight.add(id);
    return id;
  }

  /**
   * Fetch `id` of `queue` ended: hold what it returned (nothing when it
   * failed), before anyone else sees the reply.
   */
  ended(queue: string, id: number, raws: readonly RawJob[] = []): void {
    const state = this.#queue(queue);
    for (const raw of raws) state.held.add(raw);
    state.inFlight.delete(id);
  }

  /** A held entry is settled in Redis (acked, retried, killed): no longer held. */
  release(queue: string, raw: RawJob): void {
    this.#queues.get(queue)?.held.remove(raw);
  }

  /** How many copies of `raw` this process holds for `queue`. */
  count(queue: string, raw: RawJob): number {
    return this.#queues.get(queue)?.held.count(raw) ?? 0;
  }

  /** The number of fetches of `queue` started so far; take it right after reading the private list. */
  fetchMark(queue: string): number {
    return this.#queue(queue).started;
  }

  /** Whether every fetch of `queue` numbered up to `mark` has ended (its entries, if any, are held). */
  fetchesEnded(queue: string, mark: number): boolean {
    for (const id of this.#queue(queue).inFlight) if (id <= mark) return false;
    return true;
  }

  #queue(queue: string): QueueHeld {
    let state = this.#queues.get(queue);
    if (!state) {
      state = { held: new RawCounts(), started: 0, inFlight: new Set() };
      this.#queues.set(queue, state);
    }
    return state;
  }
}
