/**
 * @internal
 * Orphan recovery for reliable fetch (docs/sidekiq-contract.md §9; fixes
 * docs/kiq-elixir.md bug 1, where a crashed process's jobs were never
 * resurrected): a process registered in `super_processes` that is dead has
 * its in-flight jobs put back on their queues. A Kiq server is dead once its
 * liveness lease in `kiq:leases` has ended (src/server/liveness.ts, seconds);
 * any other identity — an older Kiq, a real Sidekiq Pro process, which has
 * no lease — only once its heartbeat hash has expired (60 s).
 */
import type { Redis } from 'ioredis';
import { formatSeconds } from '../../job/timestamp.js';
import {
  DEAD,
  KIQ_LEASES,
  QUEUES,
  SUPER_FETCH_ORPHAN_CHECK,
  SUPER_PROCESSES,
  parsePrivateQueueKey,
  privateQueuePattern,
  processKey,
  queueKey,
  recoveriesKey,
  superQueuesKey,
} from '../../redis/keys.js';
import { scanKeys } from '../../redis/scan.js';
import { callScript, checkReplies } from '../../redis/call.js';

/** Options of {@link recoverOrphans}. */
export interface RecoverOptions {
  /** A job recovered more often than this within `windowSec` goes to `dead` (Pro: 3). */
  readonly maxRecoveries?: number;
  /** Poison-pill counting window, seconds (Pro: 72 hours). */
  readonly windowSec?: number;
  /**
   * Also SCAN for private lists whose identity is not in `super_processes`
   * (lost registration, a BLMOVE after shutdown) and recover those of dead
   * processes — at most once an hour across all processes, through Pro's
   * `super_fetch_orphan_check` lock (SET NX EX 3600). Default `false`.
   */
  readonly scanUnregistered?: boolean;
}

/** What {@link recoverOrphans} did. */
export interface RecoverResult {
  /** Identities whose jobs were recovered and which were unregistered. */
  readonly identities: string[];
  /** Jobs put back on their queues. */
  readonly requeued: number;
  /** Poison pills sent to `dead`. */
  readonly dead: number;
}

/** Sidekiq Pro's poison-pill rule: more than 3 recoveries … */
const MAX_RECOVERIES = 3;
/** … within 72 hours (contract §9). */
const WINDOW_SEC = 72 * 3600;
/** Pro's orphan-check period, seconds (contract §9). */
const ORPHAN_CHECK_SEC = 3600;

/** Leases ended longer ago than this are dropped even if nobody recovered them (their identity has no private list), ms. */
const STALE_LEASE_MS = 3_600_000;

/**
 * For every identity in `super_processes` that is dead — its lease in
 * `kiq:leases` has ended, or, without a lease, its heartbeat hash
 * `<identity>` does not exist — one `recover-orphan.lua` call (which
 * re-checks, so a process that just came back keeps its jobs) moves every
 * job of its private lists back onto the RIGHT end of its queue in fetch
 * order (they run next, oldest first), except poison pills: a job whose jid
 * has been recovered more than `maxRecoveries` times within `windowSec` goes
 * to `dead` as it is (score `nowSec`). Then the identity is unregistered.
 * The private lists are named by `<identity>:super_queues`; when that set is
 * missing they are found by SCAN `queue:sq|<identity>|*`.
 *
 * Dead-set trimming is left to the next `killJob`. Rejects on any Redis
 * error; identities already handled stay handled, so calling again is safe.
 *
 * @example
 * const { identities, requeued, dead } = await recoverOrphans(redis, nowSec);
 */
export async function recoverOrphans(redis: Redis, nowSec: number, options: RecoverOptions = {}): Promise<RecoverResult> {
  const maxRecoveries = options.maxRecoveries ?? MAX_RECOVERIES;
  const windowSec = options.windowSec ?? WINDOW_SEC;
  if (!Number.isInteger(maxRecoveries) || maxRecoveries < 0) throw new RangeError(`recoverOrphans: maxRecoveries must be an integer >= 0, got ${maxRecoveries}`);
  if (!Number.isInteger(windowSec) || windowSec < 1) throw new RangeError(`recoverOrphans: windowSec must be an integer >= 1, got ${windowSec}`);

  // identity → private lists found by SCAN (empty: the script reads super_queues).
  const orphans = new Map<string, string[]>();
  const registered = await redis.smembers(SUPER_PROCESSES);
  const [seconds, micros] = await redis.time();
  const redisNowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  await redis.zremrangebyscore(KIQ_LEASES, '-inf', redisNowMs - STALE_LEASE_MS);
  if (registered.length > 0) {
    const pipeline = redis.pipeline();
    for (const identity of registered) pipeline.exists(processKey(identity)).exists(superQueuesKey(identity)).zscore(KIQ_LEASES, identity);
    const replies = checkReplies(await pipeline.exec(), registered.length * 3, 'recoverOrphans');
    for (const [i, identity] of registered.entries()) {
      const [beating, hasQueuesSet, lease] = replies.slice(3 * i, 3 * i + 3);
      // a Kiq lease decides; without one (not a Kiq server) the heartbeat does
      const alive = lease !== null ? Number(lease) > redisNowMs : beating !== 0;
      if (alive) continue;
      orphans.set(identity, hasQueuesSet !== 0 ? [] : await scanKeys(redis, privateQueuePattern(identity)));
    }
  }
  if (options.scanUnregistered && (await redis.set(SUPER_FETCH_ORPHAN_CHECK, '1', 'EX', ORPHAN_CHECK_SEC, 'NX')) === 'OK') {
    const known = new Set(registered);
    for (const key of await scanKeys(redis, privateQueuePattern())) {
      const parsed = parsePrivateQueueKey(key);
      if (!parsed || known.has(parsed.identity)) continue;
      const lists = orphans.get(parsed.identity) ?? [];
      lists.push(key);
      orphans.set(parsed.identity, lists);
    }
  }

  const result = { identities: [] as string[], requeued: 0, dead: 0 };
  for (const [identity, lists] of orphans) {
    const reply = await recoverOne(redis, identity, lists, nowSec, maxRecoveries, windowSec, false);
    if (reply === undefined) continue; // came back since we looked
    result.identities.push(identity);
    result.requeued += reply.requeued;
    result.dead += reply.dead;
  }
  return result;
}

/**
 * At start, before fetching: take back what this process's own identity's
 * private lists hold — left by a predecessor with the same configured
 * identity that crashed — as orphan recovery would (`recover-orphan.lua`
 * without the liveness check: this process is their only live owner; the
 * same poison-pill rule, so a job that kills every incarnation ends in
 * `dead`). The lists are those in `<identity>:super_queues` and any
 * `queue:sq|<identity>|*` found by SCAN, so queues no longer configured are
 * taken back too. Never call it while this process holds jobs.
 *
 * @example
 * const { requeued, dead } = await takeBackOwn(redis, identity, nowSec);
 */
export async function takeBackOwn(redis: Redis, identity: string, nowSec: number): Promise<{ requeued: number; dead: number }> {
  const lists = await scanKeys(redis, privateQueuePattern(identity));
  return (await recoverOne(redis, identity, lists, nowSec, MAX_RECOVERIES, WINDOW_SEC, true)) ?? { requeued: 0, dead: 0 };
}

/** One `recover-orphan.lua` call; `undefined` when the identity is alive. */
async function recoverOne(
  redis: Redis,
  identity: string,
  lists: readonly string[],
  nowSec: number,
  maxRecoveries: number,
  windowSec: number,
  own: boolean,
): Promise<{ requeued: number; dead: number } | undefined> {
  const reply = await callScript(
    redis,
    'recover-orphan',
    [SUPER_PROCESSES, superQueuesKey(identity), processKey(identity), DEAD, QUEUES, KIQ_LEASES],
    [identity, formatSeconds(nowSec), maxRecoveries, windowSec, queueKey(''), recoveriesKey(''), own ? '1' : '0', ...lists],
  );
  if (reply === -1) return undefined;
  const [requeued, dead] = reply as [number, number];
  return { requeued, dead };
}
