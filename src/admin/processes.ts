/**
 * Processes and their running jobs, read as Sidekiq's `ProcessSet` and
 * `Workers` read them (docs/sidekiq-contract.md §6.3), and the quiet/stop
 * signals of its Web UI (§6.5). Works for Ruby Sidekiq and Kiq processes
 * alike. Nothing here removes stale `processes` members (Sidekiq's cleanup
 * pass does; these readers simply skip them).
 */
import type { Redis } from 'ioredis';
import { readTimestamp } from '../job/timestamp.js';
import { LEADER, PROCESSES, processKey, signalsKey, workKey, workersKey } from '../redis/keys.js';
import { AdminError } from '../errors.js';
import { checkReplies } from '../redis/call.js';

/** A live process: its heartbeat hash, decoded. */
export interface ProcessInfo {
  readonly identity: string;
  readonly hostname: string | undefined;
  readonly pid: number | undefined;
  /** `info.tag`, `''` when none. */
  readonly tag: string;
  readonly queues: readonly string[];
  /**
   * Threads (Kiq: the sum of its queue limits): the `concurrency` hash field
   * that Sidekiq 8.1.2+ writes and reads, else `info.concurrency` (≤ 8.1.1).
   */
  readonly concurrency: number | undefined;
  /** Jobs running at the last beat. */
  readonly busy: number;
  /** `quiet == "true"`, exactly as the Web UI decides. */
  readonly quiet: boolean;
  /** Last beat, float epoch seconds. */
  readonly beat: number | undefined;
  /** Seconds since the last beat. */
  readonly beatAge: number | undefined;
  /** `info.started_at`, float epoch seconds. */
  readonly startedAt: number | undefined;
  /** Resident set size, KB. */
  readonly rss: number | undefined;
  /** Round trip of the process's last PING to Redis, µs (`rtt_us`). */
  readonly rttUs: number | undefined;
  readonly version: string | undefined;
  readonly labels: readonly string[];
  /** The identity equals `GET dear-leader`. */
  readonly leader: boolean;
  /** The `info` JSON decoded (all of it, for `--json`). */
  readonly info: Readonly<Record<string, unknown>>;
  /**
   * Failures that need an operator, as the process last posted them (Kiq's
   * `kiq_errors`, e.g. `fetch:default: the Redis user may not run LMOVE …`);
   * empty when none (and for Sidekiq processes).
   */
  readonly errors: readonly string[];
}

/** A job running in some process (`<identity>:work`, else the 6.4 `<identity>:workers`). */
export interface BusyJob {
  readonly identity: string;
  /** The work hash field (Sidekiq's thread id; Kiq's slot). */
  readonly thread: string;
  readonly queue: string | undefined;
  readonly class: string | undefined;
  readonly jid: string | undefined;
  readonly args: unknown;
  /** When the job started, epoch seconds. */
  readonly runAt: number | undefined;
  /** The payload decoded, or the raw string when it is not JSON. */
  readonly payload: unknown;
  /** The payload exactly as stored, when it was stored as a JSON string (Sidekiq's form). */
  readonly raw: string | undefined;
}

/**
 * Quiet (`TSTP`: finish running jobs, fetch nothing new), stop (`TERM`) or
 * dump (`TTIN`: log the running jobs and threads).
 */
export type ProcessSignal = 'TSTP' | 'TERM' | 'TTIN';

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Every registered process that has a heartbeat hash with `info`, sorted by
 * identity, with the leader flag from `dear-leader` (`Sidekiq::ProcessSet`).
 *
 * @example
 * const leader = (await listProcesses(redis)).find((p) => p.leader);
 */
export async function listProcesses(redis: Redis, nowMs: number = Date.now()): Promise<ProcessInfo[]> {
  const [members, leader] = checkReplies(await redis.pipeline().smembers(PROCESSES).get(LEADER).exec(), 2, 'processes') as [string[], string | null];
  const identities = members.sort();
  if (identities.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const identity of identities) pipeline.hmget(processKey(identity), 'info', 'busy', 'beat', 'quiet', 'rss', 'concurrency', 'rtt_us', 'kiq_errors');
  const replies = checkReplies(await pipeline.exec(), identities.length, 'processes') as (string | null)[][];
  const out: ProcessInfo[] = [];
  identities.forEach((identity, i) => {
    const [infoText, busy, beat, quiet, rss, concurrency, rttUs, errors] = replies[i]!;
    if (infoText === null || infoText === undefined) return; // expired: Sidekiq skips (and prunes) it
    const info = asRecord(parseJson(infoText)) ?? {};
    const beatSec = toNumber(beat);
    out.push({
      identity,
      hostname: typeof info.hostname === 'string' ? info.hostname : undefined,
      pid: toNumber(info.pid),
      tag: typeof info.tag === 'string' ? info.tag : '',
      queues: Array.isArray(info.queues) ? info.queues.map(String) : [],
      concurrency: toNumber(concurrency) ?? toNumber(info.concurrency),
      busy: toNumber(busy) ?? 0,
      quiet: quiet === 'true',
      beat: beatSec,
      beatAge: beatSec === undefined ? undefined : Math.max(0, nowMs / 1000 - beatSec),
      startedAt: toNumber(info.started_at),
      rss: toNumber(rss),
      rttUs: toNumber(rttUs),
      version: typeof info.version === 'string' ? info.version : undefined,
      labels: Array.isArray(info.labels) ? info.labels.map(String) : [],
      leader: leader !== null && leader === identity,
      info,
      errors: ((value) => (Array.isArray(value) ? value.map(String) : []))(parseJson(errors)),
    });
  });
  return out;
}

/**
 * Identities in `processes` whose heartbeat hash still exists (Sidekiq's
 * "live" processes: the hash expires 60 s after the last beat), sorted.
 */
export async function liveIdentities(redis: Redis): Promise<string[]> {
  const identities = (await redis.smembers(PROCESSES)).sort();
  if (identities.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const identity of identities) pipeline.exists(processKey(identity));
  const replies = checkReplies(await pipeline.exec(), identities.length, 'processes');
  return identities.filter((_, i) => replies[i] === 1);
}

/**
 * Running jobs of every live process, sorted by start time
 * (`Sidekiq::Workers`): `<identity>:work` (6.5+, Kiq writes both), else
 * `<identity>:workers` (6.4). Work values are `{queue, payload, run_at}`
 * with the payload a JSON string or an object.
 *
 * @example
 * for (const job of await listBusy(redis)) console.log(job.identity, job.class, job.jid);
 */
export async function listBusy(redis: Redis): Promise<BusyJob[]> {
  const identities = await liveIdentities(redis);
  if (identities.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const identity of identities) pipeline.hgetall(workKey(identity)).hgetall(workersKey(identity));
  const replies = checkReplies(await pipeline.exec(), identities.length * 2, 'busy') as Record<string, string>[];
  const jobs: BusyJob[] = [];
  identities.forEach((identity, i) => {
    const work = replies[i * 2]!;
    const hash = Object.keys(work).length > 0 ? work : replies[i * 2 + 1]!;
    for (const [thread, value] of Object.entries(hash)) {
      const entry = asRecord(parseJson(value)) ?? {};
      const payload = typeof entry.payload === 'string' ? (parseJson(entry.payload) ?? entry.payload) : entry.payload;
      const job = asRecord(payload) ?? {};
      jobs.push({
        identity,
        thread,
        queue: typeof entry.queue === 'string' ? entry.queue : typeof job.queue === 'string' ? job.queue : undefined,
        class: typeof job.class === 'string' ? job.class : undefined,
        jid: typeof job.jid === 'string' ? job.jid : undefined,
        args: job.args,
        runAt: readTimestamp(entry.run_at),
        payload,
        raw: typeof entry.payload === 'string' ? entry.payload : undefined,
      });
    }
  });
  return jobs.sort((a, b) => (a.runAt ?? 0) - (b.runAt ?? 0) || a.identity.localeCompare(b.identity));
}

/**
 * Send `signal` to each process as the Web UI's Quiet / Stop buttons do:
 * `LPUSH <identity>-signals <signal>` + `EXPIRE 60`, all in one MULTI. The
 * process takes one signal per heartbeat.
 *
 * @example
 * await signalProcesses(redis, await liveIdentities(redis), 'TSTP'); // quiet all
 */
export async function signalProcesses(redis: Redis, identities: readonly string[], signal: ProcessSignal): Promise<void> {
  if (identities.length === 0) return;
  const multi = redis.multi();
  for (const identity of identities) multi.lpush(signalsKey(identity), signal).expire(signalsKey(identity), 60);
  checkReplies(await multi.exec(), identities.length * 2, `signal ${signal}`);
}

/**
 * The live identities `refs` name, in order: each an exact identity or an
 * unambiguous prefix of one (e.g. `host:4242`). Throws `AdminError`
 * (`not-found` or `ambiguous`) before anything is sent.
 *
 * @example
 * const [identity] = await resolveIdentities(redis, ['web-1:4242']);
 */
export async function resolveIdentities(redis: Redis, refs: readonly string[]): Promise<string[]> {
  const live = await liveIdentities(redis);
  return refs.map((ref) => {
    if (live.includes(ref)) return ref;
    const matches = ref === '' ? [] : live.filter((identity) => identity.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new AdminError('ambiguous', `'${ref}' names ${matches.length} processes (${matches.join(', ')}); give the full identity`);
    throw new AdminError('not-found', `no live process '${ref}'${live.length > 0 ? ` (live: ${live.join(', ')})` : ' (no process is live)'}`);
  });
}
