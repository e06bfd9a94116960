/**
 * How Kiq's processing cost grows (issue 14 item 4): the same no-op
 * processing as process.bench.ts, with one variable changed per case:
 *
 * - queues: 1, 10 and 100 queues at the same total concurrency (100:
 *   1 × 100, 10 × 10, 100 × 1), jobs spread round-robin;
 * - server processes: 1 vs 2, each `queues: { bench: 50 }`;
 * - payload: args `[i, <string of 100 B | 10 KB | 1 MB>]`, 1 queue × 50.
 *   Large payloads get fewer jobs (at most BENCH_SCALE_PAYLOAD_MB, 64 MB,
 *   of payload per run, and at least 20 jobs).
 *
 * Every case runs its Kiq server(s) in child processes (scale-worker.ts) so
 * 1 and 2 processes are measured the same way. Jobs are pushed by a
 * client-only Kiq before the run. The window runs from the first perform in
 * any child (epoch clock) to the moment every queue and private list is
 * empty (one EXISTS over all of them, every 2 ms), i.e. the last ack; so
 * process boot is excluded. Worker CPU is the children's own from their
 * first perform to `stop`, summed; Redis CPU and commands (EXISTS polls
 * taken out) run from `start` to the last ack, so they include the
 * children's start. After stop: exactly N performs, nothing left in Redis.
 *
 *   BENCH_SUITES=scale npm run bench
 *   node --import tsx test/bench/scale.bench.ts    # alone; BENCH_SCALE_JOBS (20,000 × BENCH_SCALE)
 *   BENCH_SCALE_CASES=queues,procs,payload …       # pick case groups
 *
 * Median of BENCH_REPS (3) interleaved runs per case. Final JSON line:
 * {"bench":"scale","cases":[{"case":"…","jobs_s":N,"worker_us":X,"redis_us":Y,"cmds":Z},…]}.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kiq } from '../../src/index.js';
import {
  CLASS,
  REPS,
  VerificationError,
  fmt,
  fmt1,
  fmt2,
  interleaved,
  isMain,
  jobCount,
  main,
  median,
  nowMs,
  positiveInt,
  redisSnapshot,
  silentLogger,
  sleep,
  table,
  type BenchEnv,
  type Suite,
} from './lib/common.js';
import type { ScaleWorkerConfig, ScaleWorkerMessage } from './scale-worker.js';

/** One point of a curve. */
interface Case {
  readonly group: 'queues' | 'procs' | 'payload';
  readonly name: string;
  readonly queues: number;
  readonly perQueue: number;
  readonly procs: number;
  readonly payloadBytes: number;
}

const CASES: readonly Case[] = [
  { group: 'queues', name: '1 queue × 100', queues: 1, perQueue: 100, procs: 1, payloadBytes: 100 },
  { group: 'queues', name: '10 queues × 10', queues: 10, perQueue: 10, procs: 1, payloadBytes: 100 },
  { group: 'queues', name: '100 queues × 1', queues: 100, perQueue: 1, procs: 1, payloadBytes: 100 },
  { group: 'procs', name: '1 process × 50', queues: 1, perQueue: 50, procs: 1, payloadBytes: 100 },
  { group: 'procs', name: '2 processes × 50', queues: 1, perQueue: 50, procs: 2, payloadBytes: 100 },
  { group: 'payload', name: 'payload 100 B', queues: 1, perQueue: 50, procs: 1, payloadBytes: 100 },
  { group: 'payload', name: 'payload 10 KB', queues: 1, perQueue: 50, procs: 1, payloadBytes: 10 * 1024 },
  { group: 'payload', name: 'payload 1 MB', queues: 1, perQueue: 50, procs: 1, payloadBytes: 1024 * 1024 },
];
const N = jobCount('BENCH_SCALE_JOBS', 20_000);
const PAYLOAD_BUDGET = positiveInt('BENCH_SCALE_PAYLOAD_MB', 64) * 1024 * 1024;
const WORKER_SCRIPT = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));
const RUN_TIMEOUT_MS = 180_000;
/** Kiq's shutdownTimeout (25 s) plus its grace, with room. */
const STOP_TIMEOUT_MS = 60_000;

function pickCases(): readonly Case[] {
  const raw = process.env.BENCH_SCALE_CASES;
  if (!raw) return CASES;
  const groups = raw.split(',').map((s) => s.trim());
  for (const g of groups) if (!CASES.some((c) => c.group === g)) throw new Error(`BENCH_SCALE_CASES: unknown group "${g}" (known: queues, procs, payload)`);
  return CASES.filter((c) => groups.includes(c.group));
}

const jobsFor = (c: Case) => Math.min(N, Math.max(20, Math.floor(PAYLOAD_BUDGET / c.payloadBytes)));
const queueNames = (c: Case) => Array.from({ length: c.queues }, (_, q) => (c.queues === 1 ? 'bench' : `bench${q}`));

/** One timed run. */
interface Sample {
  readonly rate: number;
  readonly workerUs: number;
  readonly redisUs: number;
  readonly cmds: number;
}

/** A forked scale-worker and its messages. */
function forkWorker(config: ScaleWorkerConfig) {
  const child: ChildProcess = fork(WORKER_SCRIPT, [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: ScaleWorkerMessage[] = [];
  const waiters: (() => void)[] = [];
  let exited = false;
  child.on('message', (m: ScaleWorkerMessage) => {
    inbox.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  child.once('exit', () => {
    exited = true;
    waiters.splice(0).forEach((w) => w());
  });
  const next = async <T extends ScaleWorkerMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ScaleWorkerMessage, { type: T }>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(i, 1)[0] as Extract<ScaleWorkerMessage, { type: T }>;
      if (exited) throw new VerificationError(`scale worker exited before "${type}"`);
      if (Date.now() > deadline) throw new VerificationError(`scale worker: no "${type}" within ${timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  };
  return {
    child,
    next,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function runCase(env: BenchEnv, c: Case, window: { begin(pids?: readonly number[]): void; end(): void }): Promise<Sample> {
  const { admin, target } = env;
  const n = jobsFor(c);
  const names = queueNames(c);
  const pad = 'x'.repeat(c.payloadBytes);
  const client = new Kiq({ redisUrl: target.url, server: false, bufferLimit: n, logger: silentLogger });
  await client.start();
  for (let i = 0; i < n; i++) void client.enqueue({ class: CLASS, queue: names[i % names.length]!, args: [i, pad] });
  await client.flush();
  await client.stop();

  const queues = Object.fromEntries(names.map((q) => [q, c.perQueue]));
  const workers = Array.from({ length: c.procs }, () => forkWorker({ target, queues }));
  try {
    const identities = await Promise.all(workers.map(async (w) => (await w.next('ready', 30_000)).identity));
    const keys = [...names.map((q) => `queue:${q}`), ...identities.flatMap((id) => names.map((q) => `queue:sq|${id}|${q}`))];
    const s0 = await redisSnapshot(admin);
    window.begin(workers.map((w) => w.child.pid!).filter((pid) => pid !== undefined));
    for (const w of workers) w.child.send('go');
    const t0 = Date.now();
    let polls = 0;
    while ((await admin.exists(...keys)) > 0) {
      polls++;
      if (Date.now() - t0 > RUN_TIMEOUT_MS) throw new VerificationError(`scale ${c.name}: jobs left after ${RUN_TIMEOUT_MS / 1000}s`);
      await sleep(2);
    }
    const tEnd = nowMs();
    window.end();
    const s1 = await redisSnapshot(admin);
    for (const w of workers) w.child.send('stop');
    // after the window: stop() with 100 queues has been seen to take its full shutdown timeout (35 s)
    const stopped = await Promise.all(workers.map((w) => w.next('stopped', STOP_TIMEOUT_MS)));
    const performs = stopped.reduce((sum, s) => sum + s.performs, 0);
    if (performs !== n) throw new VerificationError(`scale ${c.name}: ${performs} performs for ${n} jobs`);
    const left = await admin.exists(...keys);
    if (left !== 0) throw new VerificationError(`scale ${c.name}: ${left} queue/private lists not empty after stop`);
    const first = Math.min(...stopped.map((s) => s.firstMs).filter(Number.isFinite));
    return {
      rate: n / ((tEnd - first) / 1000),
      workerUs: stopped.reduce((sum, s) => sum + (Number.isFinite(s.cpuUs) ? s.cpuUs : 0), 0) / n,
      redisUs: ((s1.cpu - s0.cpu) * 1e6) / n,
      cmds: (s1.calls - s0.calls - polls - 1) / n,
    };
  } finally {
    for (const w of workers) w.kill();
  }
}

export const scaleSuite: Suite = {
  name: 'scale',
  async run(env) {
    const cases = pickCases();
    console.log(`scale bench: ${cases.length} cases, up to ${fmt(N)} jobs, ${REPS} reps against ${env.where}`);
    const names = cases.map((c) => `${c.group}: ${c.name}`);
    const byName = new Map(cases.map((c) => [`${c.group}: ${c.name}`, c]));
    const { samples, noise } = await interleaved(
      env,
      names,
      (name, window) => runCase(env, byName.get(name)!, window),
      (_, s) => `${fmt(s.rate).padStart(7)} jobs/s  worker ${fmt1(s.workerUs)} µs/job  redis ${fmt1(s.redisUs)} µs/job  ${fmt2(s.cmds)} cmds/job`,
    );
    const lines: string[] = [''];
    lines.push(`## Kiq cost curve: no-op jobs, median of ${REPS} interleaved runs (min–max)`);
    lines.push('');
    lines.push(`- node ${process.version}, redis ${env.redisVersion} (${env.where}), FLUSHDB before each run; servers in child processes`);
    lines.push('- jobs/s from the first perform to the last ack; worker CPU = the server processes\' own (summed), redis CPU and commands from start to the last ack');
    lines.push(`- ${noise}`);
    lines.push('');
    const rows: string[][] = [];
    const json: Record<string, unknown>[] = [];
    for (const name of names) {
      const runs = samples.get(name)!.map((k) => k.value);
      const c = byName.get(name)!;
      const rates = runs.map((s) => s.rate);
      const workerUs = median(runs.map((s) => s.workerUs));
      const redisUs = median(runs.map((s) => s.redisUs));
      const cmds = median(runs.map((s) => s.cmds));
      rows.push([name, fmt(jobsFor(c)), `${fmt(median(rates))} (${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))})`, fmt1(workerUs), fmt1(redisUs), fmt2(cmds)]);
      json.push({ case: name, jobs: jobsFor(c), jobs_s: Math.round(median(rates)), worker_us: Math.round(workerUs * 100) / 100, redis_us: Math.round(redisUs * 100) / 100, cmds: Math.round(cmds * 100) / 100 });
    }
    lines.push(...table(['case', 'jobs', 'jobs/s', 'worker CPU µs/job', 'redis CPU µs/job', 'redis cmds/job'], rows));
    lines.push('');
    console.log(lines.join('\n'));
    return { json: { bench: 'scale', cases: json } };
  },
};

if (isMain(import.meta.url)) main([scaleSuite], 'scale bench');
