/**
 * @internal
 * Builds a {@link HealthReport} from what the facade hands it: the tree's
 * root, the queues' actors, the {@link FetchWatch}, the reliable-push
 * buffer and a Redis PING. Each call pings once (bounded by
 * `pingTimeoutMs`); everything else is read from memory.
 */
import type { AnyActorRef } from 'xstate';
import { queueView } from '../../machines/queue-view.js';
import { queueId } from '../actor-ids.js';
import type { Clock } from '../clock.js';
import type { ProblemBoard } from '../redis/outage-log.js';
import { describeRedisError } from '../redis/redis-error.js';
import type { FetchWatch } from './fetch-watch.js';
import type { ResolvedHealth } from './options.js';
import { worst, type HealthReport, type HealthStatus, type QueueHealth, type RedisHealth, type TreeHealth } from './report.js';

/** What the monitor reads; every getter is called at report time. */
export interface HealthSources {
  readonly identity: string;
  readonly clock: Clock;
  readonly thresholds: ResolvedHealth;
  /** Restart intensity window, ms (the `restartWindow` option). */
  readonly restartWindowMs: number;
  /** Queue name → concurrency (empty for a client). */
  readonly queues: Readonly<Record<string, number>>;
  /** The facade's lifecycle state. */
  state(): string;
  /** The root supervisor, once started. */
  root(): AnyActorRef | undefined;
  /** Sends one PING (rejects on failure). */
  ping(): Promise<unknown>;
  readonly watch: FetchWatch;
  readonly board: ProblemBoard | undefined;
  buffer(): { depth: number; oldestAgeMs: number };
  leader(): boolean;
}

interface SupervisorSnapshotView {
  readonly status: string;
  readonly context?: { readonly restarts?: readonly number[]; readonly restartCount?: Readonly<Record<string, number>> };
}

/** Judges one process's health. */
export class HealthMonitor {
  readonly #sources: HealthSources;
  /** Monotonic ms of the first failed PING of the current run of failures. */
  #downSinceMono: number | undefined;
  /** When the monitor was made: the start of the first fetch's grace. */
  readonly #sinceMono: number;

  constructor(sources: HealthSources) {
    this.#sources = sources;
    this.#sinceMono = sources.clock.monoMs();
  }

  /** Whether Redis answers now (for `/readyz`). */
  async redisReachable(): Promise<boolean> {
    return (await this.#checkRedis()).reachable;
  }

  /** The full report: {@link judge} plus one Redis check. */
  async report(): Promise<HealthReport> {
    const s = this.#sources;
    const redis = await this.#checkRedis();
    const local = this.judge();
    let status = local.status;
    const reasons = [...local.reasons];
    const flag = (level: HealthStatus, reason: string) => {
      status = worst(status, level);
      reasons.push(reason);
    };
    if (!redis.reachable) {
      flag(redis.downForMs >= s.thresholds.redisDownMs ? 'failing' : 'degraded', `Redis unreachable for ${Math.round(redis.downForMs)} ms: ${redis.error ?? 'no reply'}`);
    } else if (redis.roundTripMs !== null && redis.roundTripMs > s.thresholds.redisSlowMs) {
      flag('degraded', `Redis round trip ${Math.round(redis.roundTripMs)} ms (over ${s.thresholds.redisSlowMs} ms)`);
    }
    return { ...local, status, reasons, redis };
  }

  /**
   * Everything but Redis, from memory alone (synchronous): what the
   * heartbeat publishes as `kiq_health`, its own write being the proof that
   * Redis answers.
   */
  judge(): Omit<HealthReport, 'redis'> {
    const s = this.#sources;
    const reasons: string[] = [];
    let status: HealthStatus = 'ok';
    const flag = (level: HealthStatus, reason: string) => {
      status = worst(status, level);
      reasons.push(reason);
    };
    const state = s.state();
    if (state !== 'running') flag(state === 'starting' || state === 'new' ? 'degraded' : 'failing', `the instance is ${state}`);

    const tree = this.#tree();
    if (tree.state === 'escalated') flag('failing', 'the actor tree escalated (gave up restarting its children)');
    else if (tree.state === 'restarting') flag('degraded', `${tree.recentRestarts} child restart(s) within the restart window`);

    const queues: Record<string, QueueHealth> = {};
    const now = s.clock.monoMs();
    for (const [name, limit] of Object.entries(s.queues)) {
      const queue = this.#queue(name, limit, now, state === 'running');
      queues[name] = queue;
      if (queue.status !== 'ok') flag(queue.status, this.#queueReason(name, queue));
    }

    const buffer = s.buffer();
    if (buffer.oldestAgeMs > s.thresholds.bufferAgeMs) {
      flag('degraded', `${buffer.depth} enqueued job(s) not in Redis yet, the oldest for ${Math.round(buffer.oldestAgeMs)} ms`);
    }
    return {
      status,
      reasons,
      identity: s.identity,
      state,
      checkedAt: new Date(s.clock.realMs()).toISOString(),
      tree,
      queues,
      buffer,
      leader: s.leader(),
      problems: s.board?.list() ?? [],
    };
  }

  async #checkRedis(): Promise<RedisHealth> {
    const { clock, thresholds } = this.#sources;
    const start = clock.monoMs();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#sources.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no PONG within ${thresholds.pingTimeoutMs} ms`)), thresholds.pingTimeoutMs);
        }),
      ]);
      this.#downSinceMono = undefined;
      return { reachable: true, roundTripMs: Math.round((clock.monoMs() - start) * 1000) / 1000, downForMs: 0 };
    } catch (error) {
      this.#downSinceMono ??= start;
      const info = describeRedisError(error);
      return { reachable: false, roundTripMs: null, downForMs: clock.monoMs() - this.#downSinceMono, error: `${info.message} (${info.cause})` };
    } finally {
      clearTimeout(timer);
    }
  }

  #tree(): TreeHealth {
    const root = this.#sources.root();
    const snapshot = root?.getSnapshot() as SupervisorSnapshotView | undefined;
    const restarts = Object.fromEntries(Object.entries(snapshot?.context?.restartCount ?? {}).filter(([, n]) => n > 0));
    const now = this.#sources.clock.monoMs();
    const recentRestarts = (snapshot?.context?.restarts ?? []).filter((stamp) => now - stamp <= this.#sources.restartWindowMs).length;
    const escalated = snapshot?.status === 'error' || this.#sources.state() === 'failed';
    const state = escalated ? 'escalated' : snapshot === undefined || snapshot.status !== 'active' ? 'stopped' : recentRestarts > 0 ? 'restarting' : 'running';
    return { state, recentRestarts, restarts };
  }

  #queue(name: string, configuredLimit: number, now: number, running: boolean): QueueHealth {
    const { thresholds, watch, board } = this.#sources;
    const view = queueView(this.#sources.root()?.system.get(queueId(name)));
    const busy = view?.running ?? 0;
    const limit = view?.limit ?? configuredLimit;
    const quiet = view?.quiet ?? false;
    const record = watch.get(name);
    const sinceFetchMs = record.lastOkMono === undefined ? null : now - record.lastOkMono;
    const lastErrorAgoMs = record.lastErrorMono === undefined ? null : now - record.lastErrorMono;
    const permanent = board?.get(`fetch:${name}`) ?? board?.get(`fetch:${name}:blocking`);
    // a full queue or a quiet one fetches nothing on purpose; the first fetch gets the same grace from start
    const waitingFor = sinceFetchMs ?? now - this.#sinceMono;
    const stale = running && !quiet && busy < limit && waitingFor > thresholds.fetchStaleMs;
    const failingNow = record.lastErrorMono !== undefined && (record.lastOkMono === undefined || record.lastErrorMono > record.lastOkMono);
    const status: HealthStatus = permanent !== undefined || stale ? 'failing' : failingNow ? 'degraded' : 'ok';
    return { status, busy, limit, quiet, sinceFetchMs, lastError: permanent ?? record.lastError ?? null, lastErrorAgoMs, fetchErrors: record.errors };
  }

  #queueReason(name: string, queue: QueueHealth): string {
    const since = queue.sinceFetchMs === null ? 'no successful fetch yet' : `no successful fetch for ${Math.round(queue.sinceFetchMs)} ms`;
    return `queue ${name}: ${since}${queue.lastError ? `; last error: ${queue.lastError}` : ''}`;
  }
}
