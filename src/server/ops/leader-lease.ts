/**
 * @internal
 * The leader lease on `dear-leader` (docs/sidekiq-contract.md §12, docs/architecture.md §2):
 * the value is the leader's identity, taken with `SET NX PX`, renewed by
 * compare-and-expire and given up by compare-and-delete, so a process never
 * extends or deletes a lease that is not its own. The lease arithmetic (when
 * a lease counts from, when it ends) is the Senator's (machines/senator.ts).
 */
import type { Redis } from 'ioredis';
import { LEADER } from '../../redis/keys.js';
import { runScript } from '../../redis/scripts.js';
import { callScript, checkReplies } from '../../redis/call.js';

/** What a claim found. */
export interface ClaimReply {
  /** `dear-leader` now holds `identity` with a TTL of `ttlMs`. */
  readonly won: boolean;
  /** The key's remaining TTL after the claim, ms (PTTL: −2 gone, −1 no expiry). */
  readonly pttl: number;
}

/**
 * Takes the lease if nobody holds it: `SET dear-leader <identity> NX PX
 * <ttlMs>`; when that fails, a compare-and-expire (`renew-lease.lua`) takes
 * it back if it still holds `identity` (a restarted senator, or a renew whose
 * reply was lost), then `PTTL` tells a loser when the holder's lease lapses.
 * One pipeline, one round trip; each step is safe on its own, so nothing
 * needs MULTI.
 *
 * @example
 * const { won, pttl } = await claimLease(redis, identity, 30_000);
 */
export async function claimLease(redis: Redis, identity: string, ttlMs: number): Promise<ClaimReply> {
  const pipeline = redis.pipeline().set(LEADER, identity, 'PX', ttlMs, 'NX');
  runScript(pipeline, 'renew-lease', [LEADER], [identity, ttlMs]).pttl(LEADER);
  const [set, renewed, pttl] = checkReplies(await pipeline.exec(), 3, 'claimLease');
  return { won: set === 'OK' || renewed === 1, pttl: Number(pttl) };
}

/**
 * Resets the lease's TTL to `ttlMs` only while `dear-leader` holds
 * `identity` (`renew-lease.lua`); never creates the key. Resolves `true`
 * when renewed, `false` when the key is gone or someone else's.
 *
 * @example
 * if (!(await renewLease(redis, identity, 30_000))) stepDown();
 */
export async function renewLease(redis: Redis, identity: string, ttlMs: number): Promise<boolean> {
  return (await callScript(redis, 'renew-lease', [LEADER], [identity, ttlMs])) === 1;
}

/**
 * Gives the lease up: deletes `dear-leader` only while it holds `identity`
 * (`release-lock.lua`), so followers can take over at their next claim
 * instead of after the TTL. Resolves `true` when deleted.
 *
 * @example
 * await resignLease(redis, identity); // on a graceful stop
 */
export async function resignLease(redis: Redis, identity: string): Promise<boolean> {
  return (await callScript(redis, 'release-lock', [LEADER], [identity])) === 1;
}
