/**
 * @internal
 * Every Redis key Kiq reads or writes, built in one place. No other file
 * spells a key. Sections refer to docs/sidekiq-contract.md.
 */

/** SET of queue names, without the `queue:` prefix (§1, §3). */
export const QUEUES = 'queues';
/** ZSET of scheduled jobs; score = run time in epoch seconds (§1, §3). */
export const SCHEDULE = 'schedule';
/** ZSET of jobs waiting to be retried; score = next attempt, epoch seconds (§5). */
export const RETRY = 'retry';
/** ZSET of dead jobs; score = time of death, epoch seconds (§5.5). */
export const DEAD = 'dead';
/** SET of live process identities (§6). */
export const PROCESSES = 'processes';
/** SET of identities that own private queues (Pro super_fetch, §9). */
export const SUPER_PROCESSES = 'super_processes';
/**
 * SET of paused queue names, without `queue:` (Sidekiq Pro's layout; OSS
 * 8.1.2+ `Stats#queue_summaries` reads it with `SISMEMBER paused <queue>`).
 * Kiq fetches nothing from a queue in it.
 */
export const PAUSED = 'paused';
/** STRING holding the leader's identity (Enterprise, read by the Web UI, §12). */
export const LEADER = 'dear-leader';
/**
 * STRING lock (SET NX EX 3600) that lets one process per hour SCAN for private
 * lists nobody has registered; same key and TTL as Pro super_fetch (§1, §9).
 */
export const SUPER_FETCH_ORPHAN_CHECK = 'super_fetch_orphan_check';

/**
 * ZSET of Kiq servers' liveness leases: member = identity, score = when its
 * lease ends, epoch ms by Redis's own clock (`TIME`). Renewed every few
 * seconds (src/server/liveness.ts); a member whose score has passed is a
 * dead Kiq process for orphan recovery. Kiq for Node's own key: Sidekiq's
 * `<identity>` hash lives 60 s, too long to recover in seconds.
 */
export const KIQ_LEASES = 'kiq:leases';
/** STRING lock (SET NX PX) so that one Kiq server at a time runs orphan recovery; Kiq for Node's own. */
export const RECOVERY_LOCK = 'kiq:recovery-lock';

/** LIST of a queue's jobs: LPUSH to add, the right end runs next (§1). */
export function queueKey(queue: string): string {
  return `queue:${queue}`;
}

/** Start of every private list name (Pro super_fetch, §9). */
const PRIVATE_PREFIX = 'queue:sq|';

/** Private in-flight LIST of one process for one queue (Pro super_fetch, §9). */
export function privateQueueKey(identity: string, queue: string): string {
  return `${PRIVATE_PREFIX}${identity}|${queue}`;
}

/**
 * SCAN MATCH pattern for private lists (§9): one identity's, or everyone's
 * when `identity` is absent. Glob characters in the identity are escaped.
 */
export function privateQueuePattern(identity?: string): string {
  return identity === undefined ? `${PRIVATE_PREFIX}*` : `${PRIVATE_PREFIX}${identity.replace(/[*?[\]\\]/g, '\\$&')}|*`;
}

/**
 * Splits a private list name `queue:sq|IDENTITY|QUEUE` (§9): the identity is
 * between the first and second `|` (identities never contain `|`), the queue
 * is everything after the second `|` (queue names may). `undefined` for any
 * other key. `recover-orphan.lua` parses the same way.
 */
export function parsePrivateQueueKey(key: string): { identity: string; queue: string } | undefined {
  if (!key.startsWith(PRIVATE_PREFIX)) return undefined;
  const second = key.indexOf('|', PRIVATE_PREFIX.length);
  if (second < 0 || second === key.length - 1) return undefined;
  return { identity: key.slice(PRIVATE_PREFIX.length, second), queue: key.slice(second + 1) };
}

/** SET of an identity's private queue names (Pro super_fetch, §9). */
export function superQueuesKey(identity: string): string {
  return `${identity}:super_queues`;
}

/** Unique-job lock; value = jid of the holder (Enterprise, §10). */
export function uniqueKey(digest: string): string {
  return `unique:${digest}`;
}

/**
 * Poison-pill counter: how often orphan recovery has requeued this jid; an
 * INCR with a TTL of the counting window. Sidekiq Pro tracks the same rule
 * ("recovered more than 3 times within 72 hours") but its tracking keys are
 * unknown (§9), so this name is Kiq's own.
 */
export function recoveriesKey(jid: string): string {
  return `recoveries:${jid}`;
}

/** Lifetime (`date` absent) or daily (UTC `YYYY-MM-DD`) counter (§1, §6.2). */
export function statKey(kind: 'processed' | 'failed', date?: string): string {
  return date === undefined ? `stat:${kind}` : `stat:${kind}:${date}`;
}

/** Heartbeat HASH of a process (§6.2). */
export function processKey(identity: string): string {
  return identity;
}

/** Running jobs, 6.4 name (§6.2). */
export function workersKey(identity: string): string {
  return `${identity}:workers`;
}

/** Running jobs, 6.5+ name (§6.2). */
export function workKey(identity: string): string {
  return `${identity}:work`;
}

/** LIST of signals (TSTP, TERM, TTIN) sent to a process (§6.5). */
export function signalsKey(identity: string): string {
  return `${identity}-signals`;
}

/**
 * Claim on one occurrence of one periodic entry: `SET NX PX` by whichever
 * process enqueues that occurrence, so it is enqueued at most once even when
 * two leaders overlap. `digest` names the entry (src/periodic/schedule.ts),
 * `atSec` is the occurrence, whole epoch seconds. Sidekiq Enterprise's loop
 * layout is not public (§12) and Kiq's single `periodic` key could not tell
 * occurrences apart, so this name is Kiq for Node's own.
 */
export function periodicKey(digest: string, atSec: number): string {
  return `periodic:${digest}:${atSec}`;
}

/**
 * The UTC parts of a metrics time bucket: `YYYY`, `MM`, `DD`, hour and
 * minute as numbers. Built once per flush by the metrics writer
 * ({@link metricsTime}).
 */
export interface MetricsTime {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** The UTC metrics bucket of epoch ms, for the metrics keys below. */
export function metricsTime(ms: number): MetricsTime {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Per-minute execution metrics HASH as Sidekiq 7.x writes it (7.3
 * metrics/tracking.rb `flush`: `j|%Y%m%d|%-H:%-M`), e.g. `j|20261203|8:4`;
 * fields `<Class>|p`, `|f`, `|ms`.
 */
export function metricsKey7(t: MetricsTime): string {
  return `j|${t.year}${pad2(t.month)}${pad2(t.day)}|${t.hour}:${t.minute}`;
}

/**
 * Per-minute execution metrics HASH as Sidekiq 8.x writes it (8.1
 * metrics/tracking.rb `flush`: `j|%y%m%d|%-H:%M`), e.g. `j|261203|8:04`.
 */
export function metricsKey8(t: MetricsTime): string {
  return `j|${pad2(t.year % 100)}${pad2(t.month)}${pad2(t.day)}|${t.hour}:${pad2(t.minute)}`;
}

/**
 * 10-minute execution metrics HASH of Sidekiq 8.x: {@link metricsKey8}
 * without the minute's last digit (8.1 tracking.rb `nowmid`), e.g.
 * `j|261203|8:0` for 08:00–08:09.
 */
export function metricsTenMinuteKey8(t: MetricsTime): string {
  return metricsKey8(t).slice(0, -1);
}

/**
 * Per-class, per-minute run-time histogram STRING (a BITFIELD of u16
 * counters) as Sidekiq 7.x names it (7.3 metrics/shared.rb
 * `Histogram#persist`: `<Class>-%d-%H:%-M`), e.g. `Mailer-03-08:4`.
 */
export function histogramKey7(className: string, t: MetricsTime): string {
  return `${className}-${pad2(t.day)}-${pad2(t.hour)}:${t.minute}`;
}

/**
 * The same histogram as Sidekiq 8.x names it (8.1 metrics/shared.rb
 * `Histogram#persist`: `h|<Class>-%-d-%-H:%-M`), e.g. `h|Mailer-3-8:4`.
 */
export function histogramKey8(className: string, t: MetricsTime): string {
  return `h|${className}-${t.day}-${t.hour}:${t.minute}`;
}
