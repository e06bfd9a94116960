/**
 * @internal
 * The cluster-wide numbers of `/metrics` (queue sizes and latencies, the
 * retry, dead and schedule sets), read from Redis at most once per
 * `sampleMs` however often Prometheus scrapes: a scrape storm costs Redis
 * nothing more. Concurrent scrapes share one read; a failed read keeps the
 * last sample (stale numbers beat a failed scrape) and is retried on the
 * next scrape after `sampleMs`.
 */
import type { Redis } from 'ioredis';
import { listQueues, type QueueInfo } from '../admin/stats.js';
import type { Clock } from '../clock.js';
import { DEAD, RETRY, SCHEDULE } from '../redis/keys.js';

/** One read of the cluster-wide numbers. */
export interface ClusterSample {
  readonly queues: readonly QueueInfo[];
  readonly retries: number;
  readonly dead: number;
  readonly scheduled: number;
}

/** Reads {@link ClusterSample}s, rate-limited. */
export class ClusterSampler {
  readonly #redis: () => Redis;
  readonly #clock: Clock;
  readonly #everyMs: number;
  #last: ClusterSample | undefined;
  #lastMono = Number.NEGATIVE_INFINITY;
  #reading: Promise<ClusterSample | undefined> | undefined;
  /** Reads from Redis so far (tests prove the rate limit with it). */
  reads = 0;

  constructor(redis: () => Redis, clock: Clock, everyMs: number) {
    this.#redis = redis;
    this.#clock = clock;
    this.#everyMs = everyMs;
  }

  /** The latest sample, read anew when the last is older than `everyMs`; `undefined` until a read succeeds. */
  sample(): Promise<ClusterSample | undefined> {
    if (this.#clock.monoMs() - this.#lastMono < this.#everyMs) return Promise.resolve(this.#last);
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(): Promise<ClusterSample | undefined> {
    this.#lastMono = this.#clock.monoMs();
    this.reads++;
    try {
      const redis = this.#redis();
      const [queues, sizes] = await Promise.all([listQueues(redis, this.#clock.realMs()), redis.pipeline().zcard(RETRY).zcard(DEAD).zcard(SCHEDULE).exec()]);
      const [retries, dead, scheduled] = (sizes ?? []).map(([error, n]) => (error ? Number.NaN : Number(n)));
      this.#last = { queues, retries: retries ?? Number.NaN, dead: dead ?? Number.NaN, scheduled: scheduled ?? Number.NaN };
    } catch {
      // keep the previous sample; the next read is due in everyMs
    }
    return this.#last;
  }
}
