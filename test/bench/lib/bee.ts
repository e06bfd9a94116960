/**
 * bee-queue 2.0 as a peer in the benchmarks, configured as its fastest
 * documented setup: a producer queue without worker machinery or event
 * subscription (`isWorker: false, getEvents: false, storeJobs: false`) and a
 * worker queue that removes finished jobs (`removeOnSuccess`, bee-queue's
 * removeOnComplete). bee-queue talks to Redis through node-redis 3, so it
 * takes host/port/db options, not a URL.
 */
import BeeQueue from 'bee-queue';
import { PAD, QUEUE, VerificationError, type Target } from './common.js';

/** Job data of every bee-queue job: the same args as the other systems (plus t0 for latency). */
export interface BeeData {
  readonly args: [number, string];
  readonly t0?: number;
}

/** "bee-queue 2.0.0". */
export const BEE_LABEL = 'bee-queue 2.0.0';

function redisOptions(target: Target): BeeQueue.QueueSettings['redis'] {
  const { host, port, db, password } = target.connection;
  return { host, port, db, ...(password ? { password } : {}) };
}

/** A producer-only queue, ready. */
export async function beeProducer(target: Target): Promise<BeeQueue<BeeData>> {
  const queue = new BeeQueue<BeeData>(QUEUE, { redis: redisOptions(target), isWorker: false, getEvents: false, storeJobs: false });
  await queue.ready();
  return queue;
}

/** A worker queue (call `process` on it), ready. */
export async function beeConsumer(target: Target): Promise<BeeQueue<BeeData>> {
  const queue = new BeeQueue<BeeData>(QUEUE, { redis: redisOptions(target), getEvents: false, removeOnSuccess: true, removeOnFailure: true });
  await queue.ready();
  return queue;
}

/** `saveAll` of `n` jobs in chunks of `batch`; any per-job error fails the run. */
export async function beeSaveAll(queue: BeeQueue<BeeData>, n: number, batch: number): Promise<void> {
  for (let b = 0; b < n; b += batch) {
    const jobs: BeeQueue.Job<BeeData>[] = [];
    const end = Math.min(n, b + batch);
    for (let i = b; i < end; i++) jobs.push(queue.createJob({ args: [i, PAD] }));
    const errors = await queue.saveAll(jobs);
    if (errors.size > 0) throw new VerificationError(`bee-queue saveAll: ${errors.size} jobs failed, e.g. ${String([...errors.values()][0])}`);
  }
}

/** Throws unless bee-queue counts exactly `waiting` waiting jobs and nothing active or failed. */
export async function beeExpect(queue: BeeQueue<BeeData>, waiting: number): Promise<void> {
  const health = await queue.checkHealth();
  if (health.waiting !== waiting || health.active !== 0 || health.failed !== 0) {
    throw new VerificationError(`bee-queue: expected ${waiting} waiting and none active/failed, got ${JSON.stringify(health)}`);
  }
}
