/**
 * Scenario: Redis restarts under load. `redis-server --appendonly yes
 * --appendfsync always` (so every applied write survives the restart), Kiq
 * servers on one queue, and a live enqueue-only client (its reliable-push
 * buffer rides out each outage) feeding jobs at a steady rate. Redis gets a
 * SIGTERM again and again and comes back on the same port and data.
 *
 * A move or ack Redis applied (and wrote to its AOF) whose reply never
 * arrived must not leave the job in a live server's private list: "stuck"
 * is read after the drain while the servers still run. "resume" is the
 * longest time from Redis answering again until every server completed a
 * job again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Harness } from './lib/harness.js';
import { settle } from './lib/ledger.js';
import { seconds, type Figures } from './lib/report.js';

/** Sizes and bounds of the run. */
export interface RedisRestartOptions {
  readonly servers: number;
  readonly restarts: number;
  readonly jobs: number;
  readonly concurrency: number;
  readonly jobMs: number;
  /** Time between restarts (Redis up), ms. */
  readonly upMs: number;
  /** How long Redis stays down on each restart, ms. */
  readonly downMs: number;
  /** Longest allowed time from Redis back until each server completes jobs again, ms. */
  readonly resumeLimitMs: number;
  readonly drainTimeoutMs: number;
  readonly settleMs: number;
}

const QUEUE = 'chaos';

/** Run it; the figures say what happened. */
export async function redisRestarts(o: RedisRestartOptions): Promise<Figures> {
  const h = await Harness.open({ persistence: 'aof' });
  try {
    const servers = Array.from({ length: o.servers }, (_, i) => h.spawn({ label: `s${i}`, queues: { [QUEUE]: o.concurrency }, jobMs: o.jobMs }));
    await Promise.all(servers.map((p) => p.ready()));
    const client = await h.client();
    const started = Date.now();

    // the producer spreads the jobs over the whole run: one slice per 100 ms
    const runMs = (o.restarts + 1) * o.upMs + o.restarts * o.downMs;
    const perTick = Math.ceil(o.jobs / (runMs / 100));
    let producing = true;
    const producer = (async () => {
      for (let sent = 0; sent < o.jobs; sent += perTick) {
        await h.enqueue('n', Math.min(perTick, o.jobs - sent), QUEUE, sent);
        await sleep(100);
      }
      producing = false;
    })();

    const backs: number[] = [];
    for (let r = 0; r < o.restarts; r += 1) {
      await sleep(o.upMs);
      backs.push(await h.restartRedis(o.downMs));
    }
    await producer;
    await client.flush();

    const drainedAt = await h.ledger.drained(o.drainTimeoutMs);
    const resumes = backs.flatMap((back) => servers.map((p) => (h.ledger.firstBy(p.options.label, back) ?? Infinity) - back));
    const worst = Math.max(...resumes);
    const stuck = await settle(h.admin(), o.settleMs);
    const failures: string[] = [];
    if (worst > o.resumeLimitMs) failures.push(`a server resumed ${seconds(worst)} after Redis came back (limit ${o.resumeLimitMs / 1000} s)`);
    if (producing) failures.push('the producer did not finish');
    return h.figures({
      scenario: 'redis-restarts (AOF, appendfsync always)',
      started,
      drainedAt,
      stuck,
      resumeMs: worst,
      extra: { servers: o.servers, restarts: backs.length, jobs: h.ledger.expected },
      failures,
    });
  } finally {
    await h.close();
  }
}
