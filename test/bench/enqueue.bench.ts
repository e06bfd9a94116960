/**
 * Enqueue throughput: Kiq's reliable-push buffer vs raw ioredis pipelined
 * LPUSH vs BullMQ addBulk, in one process against one Redis.
 *
 *   npm run bench                        # 100k jobs, 3 interleaved reps each
 *   BENCH_JOBS=20000 npm run bench       # fewer jobs
 *   REDIS_URL=redis://host:6379/9 npm run bench   # use that Redis (its DB is FLUSHed!)
 *   BENCH_ONLY=kiq node --cpu-prof --import tsx test/bench/enqueue.bench.ts   # profile one system
 *
 * Method (after /work/shared/bench/ANCHORS.md): payload args
 * `[i, "bench-payload-abcdefghijklmnopqrstuvwxyz"]`; each case runs
 * BENCH_REPS (3) times, interleaved kiq, raw, bullmq, kiq, …, with FLUSHDB
 * before every run; the median is reported with min–max. Every run is
 * verified (list length / waiting count) and the process exits 1 if one is
 * wrong. Unlike the anchors (a fresh process per run), all runs share this
 * process; interleaving spreads JIT warm-up and host noise over the systems,
 * and a full GC runs before each timed section when it can be reached.
 *
 * Shared-host noise (Linux, as the anchors' run-all.sh): before each run it
 * waits (up to BENCH_QUIET_WAIT seconds, 60) until other processes use less
 * than 15% of the machine, measures their CPU during the run (all busy
 * jiffies minus this process and our redis-server), and reruns a run that
 * saw more than 10% (up to 3 attempts; the last attempt is kept, flagged).
 * BENCH_QUIET=0 turns this off.
 *
 * The last line of stdout is one JSON object:
 * {"bench":"enqueue","kiq":<jobs/s>,"bullmq":<jobs/s>,"raw":<jobs/s>} (medians, integers;
 * `null` for a system left out by BENCH_ONLY).
 *
 * Not part of `npm test`: mocha runs test/**\/*.test.ts and ignores test/bench.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Kiq } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

type System = 'kiq' | 'raw' | 'bullmq';

const SYSTEMS: readonly System[] = ['kiq', 'raw', 'bullmq'];
const LABEL: Record<System, string> = {
  kiq: 'kiq (enqueue x N, then flush())',
  raw: 'ioredis raw (pipelined LPUSH x1000)',
  bullmq: 'BullMQ 6.7.0 (addBulk x1000)',
};
const QUEUE = 'bench';
const QUEUE_KEY = `queue:${QUEUE}`;
const CLASS = 'BenchJob';
const PAD = 'bench-payload-abcdefghijklmnopqrstuvwxyz';
const BATCH = 1000;
/** Targets: kiq ≥ 3× BullMQ addBulk, ≥ 0.5× raw pipelined LPUSH. */
const TARGET_VS_BULLMQ = 3;
const TARGET_VS_RAW = 0.5;

const N = positiveInt('BENCH_JOBS', 100_000);
const REPS = positiveInt('BENCH_REPS', 3);
const ONLY = parseOnly(process.env.BENCH_ONLY);
const QUIET = process.env.BENCH_QUIET !== '0';
const QUIET_WAIT_S = positiveInt('BENCH_QUIET_WAIT', 60);
/** Wait for the host to be below this foreign CPU share before a run… */
const QUIET_BELOW = 0.15;
/** …and rerun a run that saw more than this. */
const NOISY_ABOVE = 0.1;
const ATTEMPTS = 3;

/** One timed run. */
interface Sample {
  /** Jobs per second, wall clock from first enqueue to last job acknowledged. */
  readonly rate: number;
  /** Node CPU (user + system) of this process during the run, µs per job. */
  readonly clientCpuUs: number;
  /** redis-server CPU during the run (INFO cpu delta), µs per job. */
  readonly redisCpuUs: number;
  /** Share of the machine used by other processes during the run (NaN: not measured). */
  foreign: number;
}

class VerificationError extends Error {}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

function parseOnly(raw: string | undefined): readonly System[] {
  if (!raw) return SYSTEMS;
  const picked = raw.split(',').map((s) => s.trim());
  for (const name of picked) {
    if (!(SYSTEMS as readonly string[]).includes(name)) throw new Error(`BENCH_ONLY: unknown system "${name}" (known: ${SYSTEMS.join(', ')})`);
  }
  return SYSTEMS.filter((s) => picked.includes(s));
}

/** A full GC between runs so one system's garbage is not collected on another's clock. */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // not available: runs simply start with whatever heap the last one left
  }
  return () => undefined;
})();

/** What the benchmark needs to reach Redis. */
interface Target {
  readonly url: string;
  /** For BullMQ, which takes connection options rather than a URL. */
  readonly connection: { host: string; port: number; db: number; username?: string; password?: string };
}

function targetOf(url: string): Target {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || '0');
  return {
    url,
    connection: {
      host: parsed.hostname || '127.0.0.1',
      port: Number(parsed.port || 6379),
      db: Number.isInteger(db) ? db : 0,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    },
  };
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = parseInfo(await admin.info('cpu'));
  return Number(info.used_cpu_sys) + Number(info.used_cpu_user);
}

/**
 * Time `body` (which enqueues N jobs and resolves once Redis has them all),
 * with client and redis CPU alongside.
 */
async function timed(admin: Redis, body: () => Promise<void>): Promise<Sample> {
  collectGarbage();
  const redis0 = await redisCpuSeconds(admin);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const redis1 = await redisCpuSeconds(admin);
  return {
    rate: N / seconds,
    clientCpuUs: (cpu.user + cpu.system) / N,
    redisCpuUs: ((redis1 - redis0) * 1e6) / N,
    foreign: Number.NaN,
  };
}

/** CPU jiffies from /proc: the whole machine, and the processes that are ours. */
interface Jiffies {
  readonly busy: number;
  readonly total: number;
  readonly ours: number;
}

/** Reads /proc/stat and our pids' utime+stime; `undefined` where /proc is missing. */
function jiffies(ownPids: readonly number[]): Jiffies | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
    const busy = user + nice + system + irq + softirq + steal;
    let ours = 0;
    for (const pid of ownPids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ours += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    }
    return { busy, total: busy + idle + iowait, ours };
  } catch {
    return undefined;
  }
}

/** Share of the machine used by processes other than ours between two readings. */
function foreignShare(a: Jiffies | undefined, b: Jiffies | undefined): number {
  if (!a || !b || b.total <= a.total) return Number.NaN;
  return Math.max(0, (b.busy - a.busy - (b.ours - a.ours)) / (b.total - a.total));
}

/** Whether `pid` is a redis-server on this host that `target` reaches over loopback. */
function isLocalPid(pid: number, target: Target): boolean {
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(target.connection.host)) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis-server');
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wait until other processes use less than {@link QUIET_BELOW} of the machine (bounded). */
async function waitQuiet(ownPids: readonly number[]): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_S * 1000;
  let waited = false;
  for (;;) {
    const a = jiffies(ownPids);
    await sleep(500);
    const share = foreignShare(a, jiffies(ownPids));
    if (!(share >= QUIET_BELOW)) break; // quiet, or not measurable
    if (Date.now() > deadline) {
      console.log(`  host still busy (${pct(share)} foreign CPU) after ${QUIET_WAIT_S}s; running anyway`);
      return;
    }
    if (!waited) console.log(`  waiting for a quiet host (${pct(share)} foreign CPU)…`);
    waited = true;
  }
}

const pct = (share: number) => (Number.isNaN(share) ? 'n/a' : `${(share * 100).toFixed(1)}%`);

const silentLogger = {
  info: () => undefined,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
};

/** (1) Kiq: N un-awaited enqueue() calls, then one flush(). */
async function runKiq(target: Target, admin: Redis): Promise<Sample> {
  const kiq = new Kiq({ redisUrl: target.url, server: false, bufferLimit: N, logger: silentLogger });
  await kiq.start();
  try {
    const sample = await timed(admin, async () => {
      for (let i = 0; i < N; i++) {
        // not awaited one by one; a rejection (e.g. BufferFullError) is an unhandled rejection and ends the process
        void kiq.enqueue({ class: CLASS, args: [i, PAD], queue: QUEUE });
      }
      await kiq.flush();
    });
    const length = await admin.llen(QUEUE_KEY);
    if (length !== N) throw new VerificationError(`kiq: expected LLEN ${QUEUE_KEY} = ${N}, got ${length}`);
    // FIFO and shape: the first job enqueued is at the right end, the last at the left
    const oldest = JSON.parse((await admin.lindex(QUEUE_KEY, -1)) ?? 'null') as { class?: unknown; args?: unknown[] } | null;
    const newest = JSON.parse((await admin.lindex(QUEUE_KEY, 0)) ?? 'null') as { args?: unknown[] } | null;
    if (oldest?.class !== CLASS || oldest.args?.[0] !== 0 || newest?.args?.[0] !== N - 1) {
      throw new VerificationError(`kiq: unexpected jobs at the ends of ${QUEUE_KEY}: ${JSON.stringify({ oldest, newest })}`);
    }
    return sample;
  } finally {
    await kiq.stop();
  }
}

/** (2) Raw ioredis: Sidekiq JSON built per job inside the timed loop, one LPUSH per job, exec every 1000. */
async function runRaw(target: Target, admin: Redis): Promise<Sample> {
  const redis = new Redis(target.url, { lazyConnect: true });
  await redis.connect();
  try {
    const sample = await timed(admin, async () => {
      for (let b = 0; b < N; b += BATCH) {
        const pipeline = redis.pipeline();
        const end = Math.min(N, b + BATCH);
        for (let i = b; i < end; i++) {
          const now = Date.now() / 1000;
          pipeline.lpush(
            QUEUE_KEY,
            JSON.stringify({
              retry: true,
              queue: QUEUE,
              class: CLASS,
              args: [i, PAD],
              jid: randomBytes(12).toString('hex'),
              created_at: now,
              enqueued_at: now,
            }),
          );
        }
        const replies = await pipeline.exec();
        const failed = replies?.find(([error]) => error !== null);
        if (!replies || failed) throw new VerificationError(`raw: pipeline failed: ${String(failed?.[0] ?? 'no replies')}`);
      }
    });
    const length = await admin.llen(QUEUE_KEY);
    if (length !== N) throw new VerificationError(`raw: expected LLEN ${QUEUE_KEY} = ${N}, got ${length}`);
    return sample;
  } finally {
    redis.disconnect();
  }
}

/** (3) BullMQ: addBulk in chunks of 1000. */
async function runBullmq(target: Target, admin: Redis): Promise<Sample> {
  const queue = new Queue(QUEUE, { connection: target.connection });
  try {
    await queue.waitUntilReady();
    const sample = await timed(admin, async () => {
      for (let b = 0; b < N; b += BATCH) {
        const jobs: { name: string; data: { args: [number, string] } }[] = [];
        const end = Math.min(N, b + BATCH);
        for (let i = b; i < end; i++) jobs.push({ name: CLASS, data: { args: [i, PAD] } });
        await queue.addBulk(jobs);
      }
    });
    const waiting = await queue.getWaitingCount();
    if (waiting !== N) throw new VerificationError(`bullmq: expected ${N} waiting jobs, got ${waiting}`);
    return sample;
  } finally {
    await queue.close();
  }
}

const RUNNERS: Record<System, (target: Target, admin: Redis) => Promise<Sample>> = {
  kiq: runKiq,
  raw: runRaw,
  bullmq: runBullmq,
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmt1 = (n: number) => n.toFixed(1);

function report(samples: Map<System, Sample[]>, redisVersion: string, where: string, noise: string): Record<System, number | null> {
  const medians = {} as Record<System, number | null>;
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    medians[system] = runs && runs.length > 0 ? Math.round(median(runs.map((s) => s.rate))) : null;
  }

  const lines: string[] = [];
  lines.push('');
  lines.push(`## Enqueue ${fmt(N)} jobs: median of ${REPS} interleaved runs (min–max)`);
  lines.push('');
  lines.push(`- node ${process.version}, redis ${redisVersion} (${where}), ${fmt(N)} jobs per run, FLUSHDB before each run`);
  lines.push(`- args [i, "${PAD}"], queue "${QUEUE}"`);
  lines.push(`- ${noise}`);
  lines.push('');
  const header = ['system', 'jobs/s (median)', 'min–max', 'node CPU µs/job', 'redis CPU µs/job', 'runs (jobs/s)'];
  const rows: string[][] = [];
  for (const system of SYSTEMS) {
    const runs = samples.get(system);
    if (!runs || runs.length === 0) continue;
    const rates = runs.map((s) => s.rate);
    rows.push([
      LABEL[system],
      fmt(median(rates)),
      `${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}`,
      fmt1(median(runs.map((s) => s.clientCpuUs))),
      fmt1(median(runs.map((s) => s.redisCpuUs))),
      rates.map(fmt).join(', '),
    ]);
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  lines.push(line(header));
  lines.push(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) lines.push(line(row));
  lines.push('');

  const ratio = (label: string, other: System, target: number) => {
    const kiq = medians.kiq;
    const base = medians[other];
    if (kiq === null || base === null) return `- ${label}: n/a (not measured in this run)`;
    const value = kiq / base;
    return `- ${label}: ${value.toFixed(2)}× (target ≥ ${target}×): ${value >= target ? 'MET' : 'MISSED'}`;
  };
  lines.push(ratio('kiq / BullMQ addBulk', 'bullmq', TARGET_VS_BULLMQ));
  lines.push(ratio('kiq / raw pipelined LPUSH', 'raw', TARGET_VS_RAW));
  lines.push('');
  console.log(lines.join('\n'));
  return medians;
}

async function main(): Promise<number> {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  try {
    let where: string;
    if (process.env.REDIS_URL) {
      where = `REDIS_URL, its DB is flushed`;
    } else {
      server = await startRedisServer();
      where = `own redis-server pid ${server.pid} on port ${server.port}`;
    }
    const target = targetOf(process.env.REDIS_URL ?? server!.url);
    admin = new Redis(target.url, { lazyConnect: true });
    await admin.connect();
    const serverInfo = parseInfo(await admin.info('server'));
    const redisVersion = serverInfo.redis_version ?? '?';
    console.log(`enqueue bench: ${fmt(N)} jobs x ${REPS} reps of ${ONLY.join(', ')} against ${where}`);

    // Our pids: their CPU is not host noise. A REDIS_URL server counts as ours when it runs on this host.
    const redisPid = server?.pid ?? Number(serverInfo.process_id);
    const ownPids = [process.pid, ...(Number.isInteger(redisPid) && redisPid > 0 && isLocalPid(redisPid, target) ? [redisPid] : [])];
    let discarded = 0;
    const samples = new Map<System, Sample[]>(ONLY.map((s) => [s, []]));
    for (let rep = 1; rep <= REPS; rep++) {
      for (const system of ONLY) {
        for (let attempt = 1; ; attempt++) {
          if (QUIET) await waitQuiet(ownPids);
          await admin.flushdb();
          const before = QUIET ? jiffies(ownPids) : undefined;
          const sample = await RUNNERS[system](target, admin);
          sample.foreign = QUIET ? foreignShare(before, jiffies(ownPids)) : Number.NaN;
          const noisy = sample.foreign > NOISY_ABOVE;
          const kept = !noisy || attempt === ATTEMPTS;
          console.log(
            `  rep ${rep} ${system.padEnd(6)} ${fmt(sample.rate).padStart(9)} jobs/s  node ${fmt1(sample.clientCpuUs)} µs/job  ` +
              `redis ${fmt1(sample.redisCpuUs)} µs/job  foreign CPU ${pct(sample.foreign)}` +
              (noisy ? (kept ? '  (noisy, kept: last attempt)' : '  (noisy, discarded: rerun)') : ''),
          );
          if (!kept) discarded++;
          if (kept) {
            samples.get(system)!.push(sample);
            break;
          }
        }
      }
    }
    await admin.flushdb();

    const noise = QUIET
      ? `foreign CPU during kept runs: max ${pct(Math.max(...[...samples.values()].flat().map((s) => s.foreign)))}; ${discarded} noisy run(s) discarded and rerun`
      : 'noise control off (BENCH_QUIET=0)';
    const medians = report(samples, redisVersion, where, noise);
    console.log(JSON.stringify({ bench: 'enqueue', kiq: medians.kiq, bullmq: medians.bullmq, raw: medians.raw }));
    return 0;
  } catch (error) {
    if (error instanceof VerificationError) {
      console.error(`VERIFICATION FAILED: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    admin?.disconnect();
    await server?.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything we opened is closed; if a handle still keeps the loop alive, say so and leave anyway.
    setTimeout(() => {
      console.error('enqueue bench: handles still open after cleanup; exiting');
      process.exit(code);
    }, 5000).unref();
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
