/**
 * A read-only view of a live Queue actor (machines/queue.ts) and its
 * invoked Fetcher, for code that watches the tree from outside (the test
 * harness, health checks) instead of reading `context` and `children` by
 * hand. `system.get('queue:<name>')` returns an untyped ref: the view checks
 * what it reads and answers `undefined` for anything that is not a queue.
 *
 * Pure: it only reads the snapshots it is given.
 */
import type { SnapshotFrom } from 'xstate';
import type { fetcherMachine } from './fetcher.js';
import type { queueMachine } from './queue.js';

/** A queue's snapshot. */
export type QueueSnapshot = SnapshotFrom<typeof queueMachine>;
/** A fetcher's snapshot. */
export type FetcherSnapshot = SnapshotFrom<typeof fetcherMachine>;

/** What a queue actor shows of itself. */
export interface QueueView {
  readonly name: string;
  /** Jobs started and not yet finished (settled in Redis): at most `limit`. */
  readonly running: number;
  /** Jobs fetched ahead of the free slots (prefetch), waiting for one. */
  readonly waiting: number;
  /** Most jobs running at once. */
  readonly limit: number;
  /** Told to take no new work. */
  readonly quiet: boolean;
  /**
   * The snapshot of its fetcher while one runs (`undefined` while the queue
   * waits to restart a crashed one, and once it is stopping): ask it
   * `hasTag(Tag.io)`, `hasTag(Tag.backoff)`…
   */
  readonly fetcher: FetcherSnapshot | undefined;
}

/** The parts of an actor ref the view reads. */
interface RefLike {
  getSnapshot(): unknown;
}

/**
 * The view of a queue actor, from its ref (`system.get('queue:default')`);
 * `undefined` when there is none or it is not a running queue.
 *
 * @example
 * const view = queueView(system.get('queue:default'));
 * const settled = view !== undefined && view.running === 0 && !hasTag(view.fetcher, Tag.io);
 */
export function queueView(ref: RefLike | undefined): QueueView | undefined {
  const snapshot = ref?.getSnapshot() as Partial<QueueSnapshot> | undefined;
  if (snapshot?.status !== 'active' || snapshot.machine?.id !== 'queue') return undefined;
  // the context counts every delivered job; a slot frees before a job
  // waits, so beyond `limit` they are waiting (src/server/job-slots.ts)
  const { name, running: held, limit, quiet } = snapshot.context!;
  const running = Math.min(held, limit);
  const fetcherRef = (snapshot.children as Record<string, RefLike | undefined> | undefined)?.fetcher;
  const fetcher = fetcherRef?.getSnapshot() as FetcherSnapshot | undefined;
  return { name, running, waiting: held - running, limit, quiet, fetcher: fetcher?.status === 'active' ? fetcher : undefined };
}
