/**
 * @internal
 * The systemIds of the actor tree, spelled once (as src/redis/keys.ts is for
 * Redis keys). src/tree.ts gives them to the child specs; everything that
 * looks an actor up in a running system (`system.get(…)`) uses these.
 * Shown in diagrams/index.md's actor tree.
 */

/** The root supervisor (src/tree.ts). */
export const ROOT_ID = 'kiq';
/** The reliable-push Flusher (machines/flusher.ts): `enqueued` wakes it. */
export const FLUSHER_ID = 'flusher';
/** Leader election on `dear-leader` (src/server/senator.ts). */
export const SENATOR_ID = 'senator';
/** The heartbeat ticker (src/server/heartbeat.ts). */
export const BEAT_ID = 'beat';
/** The liveness-lease ticker (src/server/liveness.ts). */
export const LIVENESS_ID = 'liveness';
/** Orphan recovery's ticker. */
export const RESURRECTOR_ID = 'resurrector';
/** The cron ticker (src/periodic/tick.ts), present with `periodic` entries. */
export const PERIODIC_ID = 'periodic';
/** The supervisor of the job reporters (src/reporters/supervisor.ts). */
export const REPORTERS_ID = 'reporters';
/** The private-list reconciler's ticker (woken on reconnect). */
export const RECONCILER_ID = 'reconciler';

/** The queue actor of queue `name`: `queue:<name>`. */
export function queueId(name: string): string {
  return `queue:${name}`;
}

/** The poller of sorted set `set` (`schedule`, `retry`): `poller:<set>`. */
export function pollerId(set: string): string {
  return `poller:${set}`;
}

/** A job reporter (`logger`, `instrumenter`, or the index of an extra one): `reporter:<name>`. */
export function reporterId(name: string | number): string {
  return `reporter:${name}`;
}
