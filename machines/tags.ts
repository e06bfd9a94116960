/**
 * State tags: what a state means to an observer, independent of its name.
 * Code outside a machine (the test harness, quiescence checks, the
 * inspector) asks `snapshot.hasTag(Tag.io)` instead of matching state names,
 * so renaming or nesting a state does not silently break it. Every machine in
 * `machines/` declares `types: { tags: {} as Tag }`, so a misspelt tag is a
 * type error in the chart and in `hasTag`.
 *
 * The vocabulary (a state may carry several):
 * - `io`: an IO call is in flight — the state invokes a promise actor
 *   (`fetch`, `block`, `flush`, `claim`, `renew`, `resign`, `requeue`, `tick`).
 *   Exactly the states that invoke one carry it (test/machines/tags.test.ts).
 * - `blocking`: the IO in flight is a blocking wait for new work (the
 *   fetcher's BLMOVE): any push ends it, and it ends by itself after
 *   `blockMs`, so it does not count as unsettled work. Always with `io`.
 * - `backoff`: waiting out a delay after a failure (a Redis error, a crashed
 *   fetcher) before trying again; the wait must end on time.
 * - `idle`: no IO in flight and no failure being waited out: the actor waits
 *   for an event or its next regular timer.
 * - `quiet`: told to take no new work (`configure { quiet: true }`).
 * - `stopping`: on the way out after `shutdown` (final flush, drain,
 *   requeue, resign, ordered stop of children).
 * - `leader`: the senator holds the leader lease (see `isLeader` in
 *   machines/senator.ts, which also checks the lease against the clock).
 *
 * Transient states (left at once by an `always` transition) and final
 * states carry no tag. A queue running jobs is not a state but a count:
 * read it with `queueView` (machines/queue-view.ts).
 */

/** The tag names, as typed constants: `snapshot.hasTag(Tag.io)`. */
export const Tag = {
  io: 'io',
  blocking: 'blocking',
  backoff: 'backoff',
  idle: 'idle',
  quiet: 'quiet',
  stopping: 'stopping',
  leader: 'leader',
} as const;

/** One state tag (see the vocabulary above). */
export type Tag = (typeof Tag)[keyof typeof Tag];

/** Every tag, in the order of the vocabulary. */
export const TAGS: readonly Tag[] = Object.values(Tag);

/** Anything that may be a machine snapshot (`system.get(id)?.getSnapshot()` is untyped). */
interface MaybeTagged {
  readonly hasTag?: unknown;
}

/**
 * Whether `snapshot` is a machine snapshot in a state tagged `tag`; `false`
 * for `undefined` and for snapshots of other logic (promise actors have no tags).
 *
 * @example
 * hasTag(system.get('flusher')?.getSnapshot(), Tag.idle); // false while a write is in flight
 */
export function hasTag(snapshot: unknown, tag: Tag): boolean {
  if (typeof snapshot !== 'object' || snapshot === null) return false;
  const check = (snapshot as MaybeTagged).hasTag;
  return typeof check === 'function' && (check as (tag: string) => boolean).call(snapshot, tag) === true;
}

/**
 * Entry actions that start one call of a long-lived `io` actor (the
 * fetcher's and the flusher's, machines/fetcher-io.ts and flusher-io.ts):
 * a state running one carries `io`, like a state that invokes a call.
 */
export const IO_COMMAND_ACTIONS: readonly string[] = ['startFetch', 'startBlock', 'startFlush'];
