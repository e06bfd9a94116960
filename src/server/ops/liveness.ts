/**
 * @internal
 * A Kiq server's liveness lease in `kiq:leases` (src/server/liveness.ts):
 * renewed every few seconds, dropped at a clean stop.
 */
import type { Redis } from 'ioredis';
import { KIQ_LEASES } from '../../redis/keys.js';
import { callScript } from '../../redis/call.js';

/**
 * Sets this server's lease to end `ttlMs` from now by Redis's clock
 * (`renew-liveness.lua`). Resolves with the lease end, epoch ms.
 *
 * @example
 * await renewLiveness(redis, identity, 10_000);
 */
export async function renewLiveness(redis: Redis, identity: string, ttlMs: number): Promise<number> {
  return Number(await callScript(redis, 'renew-liveness', [KIQ_LEASES], [identity, ttlMs]));
}

/**
 * Removes this server's lease (`ZREM`): after a clean stop nothing of it is
 * left to recover, and an identity without a lease is judged by its
 * heartbeat hash, which the stop removes too.
 *
 * @example
 * await dropLiveness(redis, identity);
 */
export async function dropLiveness(redis: Redis, identity: string): Promise<void> {
  await redis.zrem(KIQ_LEASES, identity);
}
