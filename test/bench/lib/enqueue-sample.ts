/**
 * One timed enqueue run, shared by enqueue.bench.ts (bulk) and
 * enqueue-one.bench.ts (awaited one by one): wall-clock rate, client CPU,
 * redis-server CPU and commands per job.
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { collectGarbage, fmt, fmt1, redisSnapshot, type Window } from './common.js';
import type { RubyTiming } from './sidekiq.js';

/** One timed run. */
export interface EnqueueSample {
  /** Jobs per second, wall clock from first enqueue until Redis has them all. */
  readonly rate: number;
  /** CPU of the enqueueing process (this one, or the Ruby client), µs per job. */
  readonly clientCpuUs: number;
  /** redis-server CPU during the run (INFO cpu delta), µs per job. */
  readonly redisCpuUs: number;
  /** Redis commands per job (INFO commandstats, Lua-issued included). */
  readonly cmds: number;
}

/**
 * Time `body`, which enqueues `n` jobs and resolves once Redis has them all.
 * A body that runs in another process (the Ruby client) returns that
 * process's own timing, which replaces this process's clock and CPU; its pid
 * goes in `extraPids` so the noise window counts it as ours.
 */
export async function timedEnqueue(
  admin: Redis,
  window: Window,
  n: number,
  body: () => Promise<RubyTiming | void>,
  extraPids: readonly number[] = [],
): Promise<EnqueueSample> {
  collectGarbage();
  const s0 = await redisSnapshot(admin);
  window.begin(extraPids);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const external = await body();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  window.end();
  const s1 = await redisSnapshot(admin);
  return {
    rate: n / (external ? external.seconds : seconds),
    clientCpuUs: external ? (external.cpu * 1e6) / n : (cpu.user + cpu.system) / n,
    redisCpuUs: ((s1.cpu - s0.cpu) * 1e6) / n,
    // the snapshot's own INFO calls are excluded by redisSnapshot
    cmds: (s1.calls - s0.calls) / n,
  };
}

/** The per-run progress line. */
export function describeEnqueue(s: EnqueueSample): string {
  return `${fmt(s.rate).padStart(9)} jobs/s  client ${fmt1(s.clientCpuUs)} µs/job  redis ${fmt1(s.redisCpuUs)} µs/job  ${s.cmds.toFixed(3)} cmds/job`;
}
