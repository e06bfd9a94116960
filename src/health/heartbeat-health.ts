/**
 * @internal
 * A process's health as its heartbeat in Redis shows it, for `kiq health`
 * on any host: `failing` when the heartbeat is missing or older than
 * {@link STALE_BEAT_SEC} (the process is gone or stuck: a live one beats
 * every 5 s) or when it posts failures that need an operator (`kiq_errors`:
 * an ACL denial, a key of the wrong type — a queue that cannot fetch);
 * `ok` otherwise. The in-process checks of `/healthz` (time since each
 * queue's last fetch, the tree's restarts) are not in the heartbeat: this
 * is what can be told from outside.
 */
import type { ProcessInfo } from '../admin/processes.js';
import type { HealthStatus } from './report.js';

/** A heartbeat this old (seconds) means the process stopped beating: 3 missed beats of Kiq and Sidekiq 6.4 (Sidekiq 7+ beats every 10 s). */
export const STALE_BEAT_SEC = 30;

/** One process judged from its heartbeat. */
export interface HeartbeatHealth {
  readonly identity: string;
  readonly status: Exclude<HealthStatus, 'degraded'>;
  readonly reasons: readonly string[];
  /** Seconds since the last beat; `undefined`: no heartbeat. */
  readonly beatAge: number | undefined;
  readonly busy: number;
  readonly concurrency: number | undefined;
  readonly quiet: boolean;
  readonly leader: boolean;
}

/** Judges `process` (`undefined`: no heartbeat hash for `identity`). */
export function heartbeatHealth(identity: string, process: ProcessInfo | undefined): HeartbeatHealth {
  if (process === undefined) {
    return { identity, status: 'failing', reasons: ['no heartbeat in Redis (not running, or stopped beating over 60 s ago)'], beatAge: undefined, busy: 0, concurrency: undefined, quiet: false, leader: false };
  }
  const reasons: string[] = [];
  if (process.beatAge === undefined) reasons.push('the heartbeat has no beat time');
  else if (process.beatAge > STALE_BEAT_SEC) reasons.push(`last beat ${Math.round(process.beatAge)} s ago (a live process beats every 5–10 s)`);
  reasons.push(...process.errors);
  return {
    identity,
    status: reasons.length === 0 ? 'ok' : 'failing',
    reasons,
    beatAge: process.beatAge,
    busy: process.busy,
    concurrency: process.concurrency,
    quiet: process.quiet,
    leader: process.leader,
  };
}
