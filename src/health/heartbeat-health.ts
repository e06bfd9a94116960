/**
 * @internal
 * A process's health as its heartbeat in Redis shows it, for `kiq health`
 * on any host: the status a Kiq process judged itself by at its last beat
 * (`kiq_health`: what `/healthz` says, less the Redis check its own beat
 * just passed), made `failing` when the heartbeat is missing or older than
 * {@link STALE_BEAT_SEC} (the process is gone or stuck: a live one beats
 * every 5 s) or when it posts failures that need an operator (`kiq_errors`:
 * an ACL denial, a key of the wrong type). A Sidekiq process has neither
 * field: only its beat is judged.
 */
import type { ProcessInfo } from '../admin/processes.js';
import type { HealthStatus } from './report.js';

/** A heartbeat this old (seconds) means the process stopped beating: 3 missed beats of Kiq and Sidekiq 6.4 (Sidekiq 7+ beats every 10 s). */
export const STALE_BEAT_SEC = 30;

/** One process judged from its heartbeat. */
export interface HeartbeatHealth {
  readonly identity: string;
  readonly status: HealthStatus;
  readonly reasons: readonly string[];
  /** Seconds since the last beat; `undefined`: no heartbeat. */
  readonly beatAge: number | undefined;
  readonly busy: number;
  readonly concurrency: number | undefined;
  readonly quiet: boolean;
  readonly leader: boolean;
}

/** `kiq_health` decoded; `undefined` when absent or not the expected shape. */
export function parsePublishedHealth(raw: string | null | undefined): { status: HealthStatus; reasons: string[] } | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as { status?: unknown; reasons?: unknown };
    if (value.status !== 'ok' && value.status !== 'degraded' && value.status !== 'failing') return undefined;
    return { status: value.status, reasons: Array.isArray(value.reasons) ? value.reasons.map(String) : [] };
  } catch {
    return undefined;
  }
}

/**
 * Judges `process` (`undefined`: no heartbeat hash for `identity`) with
 * the status it published (`kiq_health`, see {@link parsePublishedHealth}).
 */
export function heartbeatHealth(identity: string, process: ProcessInfo | undefined, published?: { status: HealthStatus; reasons: readonly string[] }): HeartbeatHealth {
  if (process === undefined) {
    return { identity, status: 'failing', reasons: ['no heartbeat in Redis (not running, or stopped beating over 60 s ago)'], beatAge: undefined, busy: 0, concurrency: undefined, quiet: false, leader: false };
  }
  const reasons: string[] = [];
  if (process.beatAge === undefined) reasons.push('the heartbeat has no beat time');
  else if (process.beatAge > STALE_BEAT_SEC) reasons.push(`last beat ${Math.round(process.beatAge)} s ago (a live process beats every 5–10 s)`);
  for (const error of process.errors) if (!reasons.includes(error)) reasons.push(error);
  const failing = reasons.length > 0;
  for (const reason of published?.reasons ?? []) if (!reasons.includes(reason)) reasons.push(reason);
  return {
    identity,
    status: failing ? 'failing' : (published?.status ?? 'ok'),
    reasons,
    beatAge: process.beatAge,
    busy: process.busy,
    concurrency: process.concurrency,
    quiet: process.quiet,
    leader: process.leader,
  };
}
