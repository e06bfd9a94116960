/**
 * `Admin`: Sidekiq's `Sidekiq::API` for Node (lib/sidekiq/api.rb: Stats,
 * Stats::History, Queue, ProcessSet, WorkSet, RetrySet, ScheduledSet,
 * DeadSet) over one ioredis connection. It reads and changes any
 * Sidekiq-layout Redis — data of Ruby Sidekiq 6.4 to 8.1 and of Kiq alike —
 * and is what the `kiq` CLI and the dashboard use. The data operations
 * live in the sibling files, each a function of a client; this class
 * gives them one connection, one clock and typed errors.
 */
import type { Redis } from 'ioredis';
import { DEFAULTS } from '../config/defaults.js';
import { AdminError } from '../errors.js';
import { DEAD, RETRY, SCHEDULE } from '../redis/keys.js';
import { AdminConnection } from './connection.js';
import { readHistory, type HistoryDay } from './history.js';
import { JobSet } from './job-set.js';
import { readMetrics, type JobClassMetrics } from './metrics.js';
import { checkOptions, type AdminOptions } from './options.js';
import { pauseQueue, pausedQueues, unpauseQueue } from './pause.js';
import { listBusy, listProcesses, liveIdentities, resolveIdentities, signalProcesses, type BusyJob, type ProcessInfo, type ProcessSignal } from './processes.js';
import { deleteQueueJob, findQueueJobs, listQueueJobs, type QueueJob, type QueueJobPage, type QueueOrder } from './queue-jobs.js';
import { readRedisInfo, type RedisInfo } from './redis-info.js';
import { clearQueue, listQueues, queueInfos, readStats, type QueueInfo, type Stats } from './stats.js';

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new AdminError('invalid-argument', `${what}: expected a queue name, got ${JSON.stringify(name)}`);
  return name;
}

function asList(refs: string | readonly string[]): readonly string[] {
  return typeof refs === 'string' ? [refs] : refs;
}

/**
 * Sidekiq's API for Node: stats, queues, processes, running jobs and the
 * retry, scheduled and dead sets of a Sidekiq-layout Redis. Creating one
 * opens no connection; the first call connects (and reconnects after an
 * outage). Every failure rejects with an `AdminError` whose `kind` says why.
 *
 * @example
 * import { Admin } from 'kiq/admin';
 * const admin = new Admin({ redisUrl: 'redis://127.0.0.1:6379/0' });
 * const { processed, failed, enqueued, retries } = await admin.stats();
 * for (const queue of await admin.queues()) console.log(queue.name, queue.size, queue.latency, queue.paused);
 * await admin.retries.retryAll();
 * await admin.close();
 */
export class Admin {
  /** The `retry` set (Sidekiq's `RetrySet`): failed jobs waiting for their next attempt. */
  readonly retries: JobSet;
  /** The `schedule` set (Sidekiq's `ScheduledSet`): jobs to run at a given time. */
  readonly scheduled: JobSet;
  /** The `dead` set (Sidekiq's `DeadSet`, the Web UI's Morgue): jobs out of retries, or killed. */
  readonly dead: JobSet;

  readonly #connection: AdminConnection;
  readonly #now: () => number;

  constructor(options: AdminOptions = {}) {
    checkOptions(options);
    this.#now = options.now ?? Date.now;
    this.#connection = new AdminConnection(options);
    const host = {
      run: <T>(what: string, body: (redis: Redis) => Promise<T>) => this.#run(what, body),
      now: () => this.#now(),
      trim: { deadLimit: options.deadLimit ?? DEFAULTS.deadLimit, deadTimeoutMs: options.deadTimeoutMs ?? DEFAULTS.deadTimeout },
    };
    this.retries = new JobSet(RETRY, host);
    this.scheduled = new JobSet(SCHEDULE, host);
    this.dead = new JobSet(DEAD, host);
  }

  /**
   * The dashboard numbers (`Sidekiq::Stats`): lifetime processed and failed,
   * jobs enqueued, scheduled, retrying, dead, running (`busy`), registered
   * processes and the latency of queue `default`, in two round trips.
   *
   * @example
   * const { processed, failed, enqueued, scheduled, retries, dead, processes, busy } = await admin.stats();
   */
  async stats(): Promise<Stats> {
    return this.#run('stats', (redis) => readStats(redis, this.#now()));
  }

  /**
   * Processed and failed per UTC day, newest first, `days` days ending with
   * `startDate` (`YYYY-MM-DD`, default today) — `Sidekiq::Stats::History`.
   * `days`: 1 to 1825.
   *
   * @example
   * const week = await admin.history(7); // [{ date: '2026-12-03', processed: 14, failed: 2 }, ...]
   */
  async history(days: number, options: { startDate?: string } = {}): Promise<HistoryDay[]> {
    return this.#run('history', (redis) => readHistory(redis, days, { ...options, nowMs: this.#now() }));
  }

  /**
   * Per job class over the last `minutes` (1 to 4320, default 60):
   * executions, failures, total and mean run time of the successful ones,
   * most run time first — the Metrics tab of Sidekiq 7.x and 8.x, read from
   * the `j|…` hashes Sidekiq 7/8 and Kiq servers write (periods over 8
   * hours from 8.x's 10-minute buckets, which Kiq writes too).
   *
   * @example
   * const [busiest] = await admin.metrics({ minutes: 480 }); // { class: 'HardWorker', processed: 120, failed: 3, totalMs: 9000, meanMs: 76.9 }
   */
  async metrics(options: { minutes?: number } = {}): Promise<JobClassMetrics[]> {
    return this.#run('metrics', (redis) => readMetrics(redis, options.minutes ?? 60, this.#now()));
  }

  /**
   * Every queue in `queues`, by name: size, latency in seconds (now −
   * `enqueued_at` of the oldest job; Sidekiq 8's integer ms read as ms) and
   * whether it is paused.
   *
   * @example
   * const busiest = (await admin.queues()).sort((a, b) => b.size - a.size)[0];
   */
  async queues(): Promise<QueueInfo[]> {
    return this.#run('queues', (redis) => listQueues(redis, this.#now()));
  }

  /**
   * One queue's size, latency and paused flag (`Sidekiq::Queue.new(name)`);
   * a queue nobody pushed to has size 0.
   *
   * @example
   * const { size, latency } = await admin.queue('mailers');
   */
  async queue(name: string): Promise<QueueInfo> {
    checkName('queue', name);
    return this.#run(`queue ${name}`, async (redis) => (await queueInfos(redis, [name], this.#now()))[0]!);
  }

  /**
   * A page of a queue's jobs (newest first, or `oldest` first: the order
   * they run in) and its size.
   *
   * @example
   * const { jobs, total } = await admin.queueJobs('default', { offset: 0, limit: 25 });
   */
  async queueJobs(name: string, options: { offset?: number; limit?: number; order?: QueueOrder } = {}): Promise<QueueJobPage> {
    checkName('queue jobs', name);
    return this.#run(`queue ${name} jobs`, (redis) => listQueueJobs(redis, name, options));
  }

  /**
   * The jobs of a queue with this jid (`Sidekiq::Queue#find_job`). Cost:
   * O(queue length), the whole list is read in pages of 1,000.
   *
   * @example
   * const [job] = await admin.findQueueJobs('default', jid);
   */
  async findQueueJobs(name: string, jid: string): Promise<QueueJob[]> {
    checkName('find queue job', name);
    if (typeof jid !== 'string' || jid === '') throw new AdminError('invalid-argument', `find queue job: expected a jid, got ${JSON.stringify(jid)}`);
    return this.#run(`queue ${name} find`, (redis) => findQueueJobs(redis, name, jid));
  }

  /**
   * Delete one waiting job by its exact bytes (`LREM 1`, Sidekiq's
   * `JobRecord#delete`): a listed `QueueJob`, or its `member`. Resolves
   * `false` when it was gone already (run or deleted meanwhile).
   *
   * @example
   * const { jobs } = await admin.queueJobs('default');
   * await admin.deleteQueueJob(jobs[0]);
   */
  async deleteQueueJob(job: QueueJob): Promise<boolean>;
  async deleteQueueJob(name: string, member: string): Promise<boolean>;
  async deleteQueueJob(jobOrName: QueueJob | string, member?: string): Promise<boolean> {
    const [name, raw] = typeof jobOrName === 'string' ? [jobOrName, member] : [jobOrName?.queue, jobOrName?.member];
    checkName('delete queue job', name);
    if (typeof raw !== 'string') throw new AdminError('invalid-argument', `delete queue job: expected the job's member (the stored string), got ${typeof raw}`);
    return this.#run(`queue ${name} delete`, (redis) => deleteQueueJob(redis, name!, raw));
  }

  /**
   * Delete every job waiting in a queue and forget the queue
   * (`Sidekiq::Queue#clear`: `UNLINK queue:<name>`, `SREM queues`). Running,
   * scheduled and retrying jobs are not touched. Resolves how many jobs it
   * held and whether the queue existed at all.
   *
   * @example
   * const { existed, size } = await admin.clearQueue('mailers');
   */
  async clearQueue(name: string): Promise<{ existed: boolean; size: number }> {
    checkName('clear queue', name);
    return this.#run(`queue ${name} clear`, (redis) => clearQueue(redis, name));
  }

  /**
   * Pause a queue (Sidekiq Pro's `Queue#pause!`: `SADD paused <name>`): Kiq
   * servers fetch nothing from it until `unpauseQueue`. Resolves `false`
   * when it was paused already.
   *
   * @example
   * await admin.pauseQueue('mailers');
   */
  async pauseQueue(name: string): Promise<boolean> {
    checkName('pause queue', name);
    return this.#run(`queue ${name} pause`, (redis) => pauseQueue(redis, name));
  }

  /**
   * Resume a paused queue (`SREM paused <name>`). Resolves `false` when it was not paused.
   *
   * @example
   * await admin.unpauseQueue('mailers');
   */
  async unpauseQueue(name: string): Promise<boolean> {
    checkName('unpause queue', name);
    return this.#run(`queue ${name} unpause`, (redis) => unpauseQueue(redis, name));
  }

  /**
   * Names of the paused queues, sorted.
   *
   * @example
   * const paused = await admin.pausedQueues();
   */
  async pausedQueues(): Promise<string[]> {
    return this.#run('paused queues', (redis) => pausedQueues(redis));
  }

  /**
   * Live processes, Sidekiq's and Kiq's (`Sidekiq::ProcessSet`), by identity:
   * hostname, pid, tag, queues, concurrency, busy, last beat, quiet, RSS and
   * the leader flag. Expired members are skipped, not pruned.
   *
   * @example
   * const quiet = (await admin.processes()).filter((p) => p.quiet);
   */
  async processes(): Promise<ProcessInfo[]> {
    return this.#run('processes', (redis) => listProcesses(redis, this.#now()));
  }

  /**
   * Jobs running now in live processes, oldest first (`Sidekiq::WorkSet`;
   * `<identity>:work`, else 6.4's `<identity>:workers`).
   *
   * @example
   * for (const job of await admin.busy()) console.log(job.identity, job.class, job.runAt);
   */
  async busy(): Promise<BusyJob[]> {
    return this.#run('busy', (redis) => listBusy(redis));
  }

  /**
   * Quiet processes (the Web UI's Quiet button, `Process#quiet!`): each
   * fetches nothing new and finishes its running jobs. Each ref is a live
   * identity or a unique prefix of one; resolves the identities signalled.
   * Rejects (`not-found`, `ambiguous`) before sending anything.
   *
   * @example
   * await admin.quiet('web-1:4242');
   */
  async quiet(refs: string | readonly string[]): Promise<string[]> {
    return this.#signal(asList(refs), 'TSTP');
  }

  /**
   * Stop processes gracefully (the Stop button, `Process#stop!`): running
   * jobs get the shutdown timeout, then go back to their queues.
   *
   * @example
   * await admin.stop(['web-1:4242:0123456789ab']);
   */
  async stop(refs: string | readonly string[]): Promise<string[]> {
    return this.#signal(asList(refs), 'TERM');
  }

  /**
   * Ask processes to log their running jobs and threads
   * (`Process#dump_threads`, TTIN through Redis).
   *
   * @example
   * await admin.dump('web-1:4242');
   */
  async dump(refs: string | readonly string[]): Promise<string[]> {
    return this.#signal(asList(refs), 'TTIN');
  }

  /**
   * Quiet every live process (the Web UI's "Quiet All"); resolves the identities.
   *
   * @example
   * await admin.quietAll();
   */
  async quietAll(): Promise<string[]> {
    return this.#signalAll('TSTP');
  }

  /**
   * Stop every live process (the Web UI's "Stop All"); resolves the identities.
   *
   * @example
   * await admin.stopAll();
   */
  async stopAll(): Promise<string[]> {
    return this.#signalAll('TERM');
  }

  /**
   * The Redis server's `INFO`, with the fields the Web UI's dashboard shows.
   *
   * @example
   * const { version, usedMemoryHuman } = await admin.redisInfo();
   */
  async redisInfo(): Promise<RedisInfo> {
    return this.#run('redis info', (redis) => readRedisInfo(redis));
  }

  /**
   * Close the connection (a client given as `client` is left open). Later
   * calls reject with `AdminError` (`closed`). Idempotent.
   *
   * @example
   * await admin.close();
   */
  async close(): Promise<void> {
    await this.#connection.close();
  }

  async #signal(refs: readonly string[], signal: ProcessSignal): Promise<string[]> {
    if (refs.length === 0) throw new AdminError('invalid-argument', `signal ${signal}: no process named (use quietAll/stopAll for every process)`);
    for (const ref of refs) if (typeof ref !== 'string' || ref === '') throw new AdminError('invalid-argument', `signal ${signal}: expected an identity, got ${JSON.stringify(ref)}`);
    return this.#run(`signal ${signal}`, async (redis) => {
      const identities = await resolveIdentities(redis, refs);
      await signalProcesses(redis, identities, signal);
      return identities;
    });
  }

  async #signalAll(signal: ProcessSignal): Promise<string[]> {
    return this.#run(`signal ${signal}`, async (redis) => {
      const identities = await liveIdentities(redis);
      await signalProcesses(redis, identities, signal);
      return identities;
    });
  }

  #run<T>(what: string, body: (redis: Redis) => Promise<T>): Promise<T> {
    return this.#connection.run(what, body);
  }
}
