/**
 * The shape of `kiq.health()`: one overall status, and the parts it was
 * judged from. Times are milliseconds; `null` means "not known yet".
 */

/** `ok`: doing its job; `degraded`: working, but something needs a look; `failing`: not doing its job (restart it). */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

/** Redis as the last check saw it. */
export interface RedisHealth {
  /** PING answered within `pingTimeoutMs`. */
  readonly reachable: boolean;
  /** Round trip of that PING, ms; `null` when it failed. */
  readonly roundTripMs: number | null;
  /** How long checks have failed in a row, ms (0 when reachable). */
  readonly downForMs: number;
  /** Why the check failed, in plain words. */
  readonly error?: string;
}

/** The actor tree: `running`, `restarting` (a child restarted within the restart window), `escalated` (it gave up), `stopped`. */
export type TreeState = 'running' | 'restarting' | 'escalated' | 'stopped';

/** The actor tree's state and restart bookkeeping. */
export interface TreeHealth {
  readonly state: TreeState;
  /** Restarts within the restart window (`restartWindow`). */
  readonly recentRestarts: number;
  /** Restarts per child since start, e.g. `{ "queue:default": 1 }` (children never restarted are left out). */
  readonly restarts: Readonly<Record<string, number>>;
}

/** One queue of this server. */
export interface QueueHealth {
  readonly status: HealthStatus;
  /** Jobs running now. */
  readonly busy: number;
  /** Most jobs at once (the queue's concurrency). */
  readonly limit: number;
  /** Quiet: fetching nothing on purpose. */
  readonly quiet: boolean;
  /** Since the last successful fetch call (a block that found nothing counts), ms; `null`: none yet. */
  readonly sinceFetchMs: number | null;
  /** The last fetch failure, with its cause; `null`: none since start. */
  readonly lastError: string | null;
  /** How long ago {@link lastError} happened, ms. */
  readonly lastErrorAgoMs: number | null;
  /** Failed fetch calls since start. */
  readonly fetchErrors: number;
}

/** The reliable-push buffer (jobs enqueued, not yet in Redis). */
export interface BufferHealth {
  /** Jobs held. */
  readonly depth: number;
  /** Age of the oldest one, ms (0 when empty). */
  readonly oldestAgeMs: number;
}

/** What `kiq.health()` reports. */
export interface HealthReport {
  readonly status: HealthStatus;
  /** Why the status is not `ok`, one sentence each. */
  readonly reasons: readonly string[];
  readonly identity: string;
  /** The instance's lifecycle state (`running`, `failed`, …). */
  readonly state: string;
  /** Wall-clock time of the report, ISO 8601. */
  readonly checkedAt: string;
  readonly redis: RedisHealth;
  readonly tree: TreeHealth;
  /** Per queue (a server's only; `{}` for a client). */
  readonly queues: Readonly<Record<string, QueueHealth>>;
  readonly buffer: BufferHealth;
  /** This process holds the leadership. */
  readonly leader: boolean;
  /** Failures that need an operator (the heartbeat's `kiq_errors`). */
  readonly problems: readonly string[];
}

/** The worse of two statuses. */
export function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  const rank = { ok: 0, degraded: 1, failing: 2 } as const;
  return rank[a] >= rank[b] ? a : b;
}
