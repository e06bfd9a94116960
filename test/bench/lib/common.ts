/**
 * Shared machinery of the benchmarks in test/bench (see the method notes in
 * enqueue.bench.ts): one Redis for every
 * suite (our own redis-server unless REDIS_URL), shared-host noise control,
 * median-of-N interleaved runs with FLUSHDB before each, Markdown tables, and
 * the final JSON lines.
 *
 * Environment (all optional):
 *   REDIS_URL          use that Redis instead of starting one (its DB is FLUSHed!)
 *   BENCH_REPS         runs per system per case (3)
 *   BENCH_SCALE        factor on every default job count (1), e.g. 0.05 for a smoke run;
 *                      an explicit BENCH_*_JOBS wins
 *   BENCH_ONLY         comma list of systems to run (suite-specific names, e.g. kiq,bullmq)
 *   BENCH_QUIET=0      no noise control
 *   BENCH_QUIET_WAIT   most seconds to wait for a quiet host before one run (60)
 *   BENCH_BUDGET       seconds after which the whole bench stops waiting for a quiet
 *                      host and stops rerunning noisy runs (180), so `npm run bench`
 *                      stays bounded on a busy machine
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

export const QUEUE = 'bench';
export const QUEUE_KEY = `queue:${QUEUE}`;
export const CLASS = 'BenchJob';
/** The payload of every system's jobs: args `[i, PAD]`. */
export const PAD = 'bench-payload-abcdefghijklmnopqrstuvwxyz';

export class VerificationError extends Error {}

export function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

/** BENCH_SCALE: a positive factor on default job counts. */
const SCALE = (() => {
  const raw = process.env.BENCH_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`BENCH_SCALE must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
})();

/** A job count: env `name` if set, else `fallback` × BENCH_SCALE (at least `floor`). */
export function jobCount(name: string, fallback: number, floor = 10): number {
  return positiveInt(name, Math.max(floor, Math.round(fallback * SCALE)));
}

export const REPS = positiveInt('BENCH_REPS', 3);
const QUIET = process.env.BENCH_QUIET !== '0';
const QUIET_WAIT_S = positiveInt('BENCH_QUIET_WAIT', 60);
const BUDGET_S = positiveInt('BENCH_BUDGET', 180);
/** Wait for the host to be below this foreign CPU share before a run… */
const QUIET_BELOW = 0.15;
/** …and rerun a run that saw more than this. */
const NOISY_ABOVE = 0.1;
const ATTEMPTS = 3;
const startedAt = performance.now();
let budgetNoticed = false;

/** True once BENCH_BUDGET seconds have passed since the bench started: no more waiting or reruns. */
function overBudget(): boolean {
  const over = (performance.now() - startedAt) / 1000 > BUDGET_S;
  if (over && !budgetNoticed) {
    budgetNoticed = true;
    console.log(`  bench budget of ${BUDGET_S}s spent: no more quiet-host waits or noisy reruns`);
  }
  return over;
}

/** Every system name any suite knows (BENCH_ONLY values). */
const EVERY_SYSTEM: readonly string[] = ['kiq', 'kiq-no-metrics', 'kiq-spool', 'kiq-always', 'raw', 'bullmq', 'bee', 'sidekiq'];

/**
 * The systems BENCH_ONLY picks out of `known` (all of them when unset).
 * Names no suite knows are an error; names only another suite knows are ignored.
 */
export function pickSystems<S extends string>(known: readonly S[]): readonly S[] {
  const raw = process.env.BENCH_ONLY;
  if (!raw) return known;
  const picked = raw.split(',').map((s) => s.trim());
  for (const name of picked) {
    if (!EVERY_SYSTEM.includes(name)) throw new Error(`BENCH_ONLY: unknown system "${name}" (known: ${EVERY_SYSTEM.join(', ')})`);
  }
  return known.filter((s) => picked.includes(s));
}

/** A full GC between runs so one system's garbage is not collected on another's clock. */
export const collectGarbage: () => void = (() => {
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
export interface Target {
  readonly url: string;
  /** For BullMQ, which takes connection options rather than a URL. */
  readonly connection: { host: string; port: number; db: number; username?: string; password?: string };
}

export function targetOf(url: string): Target {
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

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = parseInfo(await admin.info('cpu'));
  return Number(info.used_cpu_sys) + Number(info.used_cpu_user);
}

/** Redis CPU and command counts (commandstats counts commands run inside Lua too; INFO itself excluded). */
export interface RedisSnapshot {
  readonly cpu: number;
  readonly calls: number;
  readonly lua: number;
}

export async function redisSnapshot(admin: Redis): Promise<RedisSnapshot> {
  const cpu = await redisCpuSeconds(admin);
  const stats = parseInfo(await admin.info('commandstats'));
  let calls = 0;
  let lua = 0;
  for (const [key, value] of Object.entries(stats)) {
    if (key === 'cmdstat_info') continue;
    const n = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    calls += n;
    if (/^cmdstat_(evalsha|eval|evalsha_ro|eval_ro|fcall|fcall_ro)$/.test(key)) lua += n;
  }
  return { cpu, calls, lua };
}

/** Wall-clock epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU jiffies from /proc: the whole machine, and the processes that are ours. */
interface Jiffies {
  readonly busy: number;
  readonly total: number;
  readonly ours: number;
}

/**
 * Reads /proc/stat and our pids' utime+stime, plus this process's reaped
 * children (cutime+cstime): a child that exits during a window moves its CPU
 * there, so it still counts as ours. A pid already gone is skipped.
 * `undefined` where /proc is missing.
 */
function jiffies(ownPids: readonly number[]): Jiffies | undefined {
  let cpu: number[];
  try {
    cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return undefined;
  }
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  const busy = user + nice + system + irq + softirq + steal;
  let ours = 0;
  for (const pid of ownPids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited and reaped: its CPU is in our cutime now (or it was never ours to reap)
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ours += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    if (pid === process.pid) ours += Number(fields[13]) + Number(fields[14]); // cutime, cstime (16 and 17)
  }
  return { busy, total: busy + idle + iowait, ours };
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

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const pct = (share: number) => (Number.isNaN(share) ? 'n/a' : `${(share * 100).toFixed(1)}%`);
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmt1 = (n: number) => n.toFixed(1);
export const fmt2 = (n: number) => n.toFixed(2);
/** Rounded to 3 decimals, for JSON. */
export const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile: the ceil(p% · n)-th smallest sample. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** "median (min–max)" of `values`, each formatted with `f`. */
export function cell(values: readonly number[], f: (n: number) => string): string {
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

/** A Markdown table, first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((text, c) => (c === 0 ? text.padEnd(widths[c]!) : text.padStart(widths[c]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)];
}

/** "- label: 1.23× (target ≥ 1.5×): MET" for a higher-is-better ratio. */
export function ratioLine(label: string, value: number | null, target: number): string {
  if (value === null || !Number.isFinite(value)) return `- ${label}: n/a (not measured in this run)`;
  return `- ${label}: ${value.toFixed(2)}× (target ≥ ${target}×): ${value >= target ? 'MET' : 'MISSED'}`;
}

/** "- label: 1.23× (no target)" for a ratio shown for comparison only. */
export function infoRatioLine(label: string, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return `- ${label}: n/a (not measured in this run)`;
  return `- ${label}: ${value.toFixed(2)}× (no target)`;
}

export const silentLogger = {
  // at level warn, as the Sidekiq runs are (Logger::WARN): no per-job info line is built
  isLevelEnabled: (level: string) => level !== 'info',
  info: () => undefined,
  warn: (message: string) => console.error(message),
  error: (message: string) => console.error(message),
};

/** One Redis for a whole bench invocation. */
export interface BenchEnv {
  readonly target: Target;
  /** Monitoring connection: FLUSHDB, INFO, verification reads. */
  readonly admin: Redis;
  readonly redisVersion: string;
  /** "own redis-server pid … on port …" or "REDIS_URL, its DB is flushed". */
  readonly where: string;
  /** Pids whose CPU is ours, not host noise (this process and a local redis-server). */
  readonly ownPids: readonly number[];
}

/** Start (or reach) Redis; `close` stops what was started. */
export async function openEnv(): Promise<{ env: BenchEnv; close: () => Promise<void> }> {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  try {
    let where: string;
    if (process.env.REDIS_URL) {
      where = 'REDIS_URL, its DB is flushed';
    } else {
      server = await startRedisServer();
      where = `own redis-server pid ${server.pid} on port ${server.port}`;
    }
    const target = targetOf(process.env.REDIS_URL ?? server!.url);
    admin = new Redis(target.url, { lazyConnect: true });
    await admin.connect();
    const serverInfo = parseInfo(await admin.info('server'));
    // A REDIS_URL server counts as ours when it runs on this host.
    const redisPid = server?.pid ?? Number(serverInfo.process_id);
    const ownPids = [process.pid, ...(Number.isInteger(redisPid) && redisPid > 0 && isLocalPid(redisPid, target) ? [redisPid] : [])];
    const env: BenchEnv = { target, admin, redisVersion: serverInfo.redis_version ?? '?', where, ownPids };
    const opened = admin;
    return {
      env,
      close: async () => {
        opened.disconnect();
        await server?.stop();
      },
    };
  } catch (error) {
    admin?.disconnect();
    await server?.stop();
    throw error;
  }
}

/**
 * Marks a run's timed section for the noise measurement. A run calls
 * `begin` right before its timed section (with the pids of worker processes
 * it spawned, whose CPU is ours) and `end` right after it, while those
 * processes still live. A run that calls neither has no noise figure.
 */
export interface Window {
  begin(extraPids?: readonly number[]): void;
  end(): void;
}

/** A kept run: its result and the foreign CPU share during it. */
export interface Kept<R> {
  readonly value: R;
  readonly foreign: number;
}

/** What {@link interleaved} returns. */
export interface Interleaved<S extends string, R> {
  readonly samples: Map<S, Kept<R>[]>;
  /** One line about noise for the report. */
  readonly noise: string;
}

/** Wait until other processes use less than {@link QUIET_BELOW} of the machine (bounded). */
async function waitQuiet(ownPids: readonly number[]): Promise<void> {
  if (overBudget()) return;
  const deadline = Date.now() + QUIET_WAIT_S * 1000;
  let waited = false;
  for (;;) {
    const a = jiffies(ownPids);
    await sleep(500);
    const share = foreignShare(a, jiffies(ownPids));
    if (!(share >= QUIET_BELOW)) break; // quiet, or not measurable
    if (Date.now() > deadline || overBudget()) {
      console.log(`  host still busy (${pct(share)} foreign CPU); running anyway`);
      return;
    }
    if (!waited) console.log(`  waiting for a quiet host (${pct(share)} foreign CPU)…`);
    waited = true;
  }
}

/**
 * Run every system `REPS` times, interleaved (rep 1 of each system, then
 * rep 2, …), FLUSHDB before each run. A run whose timed section saw more
 * than 10% foreign CPU is rerun (up to 3 attempts, while the budget lasts;
 * the last attempt is kept, flagged). `describe` prints one line per run.
 */
export async function interleaved<S extends string, R>(
  env: BenchEnv,
  systems: readonly S[],
  run: (system: S, window: Window) => Promise<R>,
  describe: (system: S, result: R) => string,
): Promise<Interleaved<S, R>> {
  const samples = new Map<S, Kept<R>[]>(systems.map((s) => [s, []]));
  let discarded = 0;
  for (let rep = 1; rep <= REPS; rep++) {
    for (const system of systems) {
      for (let attempt = 1; ; attempt++) {
        if (QUIET) await waitQuiet(env.ownPids);
        await env.admin.flushdb();
        let pids: readonly number[] = env.ownPids;
        let before: Jiffies | undefined;
        let foreign = Number.NaN;
        const window: Window = {
          begin: (extra = []) => {
            pids = [...env.ownPids, ...extra];
            before = QUIET ? jiffies(pids) : undefined;
          },
          end: () => {
            foreign = QUIET ? foreignShare(before, jiffies(pids)) : Number.NaN;
          },
        };
        const value = await run(system, window);
        const noisy = foreign > NOISY_ABOVE;
        const kept = !noisy || attempt === ATTEMPTS || overBudget();
        console.log(
          `  rep ${rep} ${system.padEnd(6)} ${describe(system, value)}  foreign CPU ${pct(foreign)}` +
            (noisy ? (kept ? '  (noisy, kept)' : '  (noisy, discarded: rerun)') : ''),
        );
        if (!kept) {
          discarded++;
          continue;
        }
        samples.get(system)!.push({ value, foreign });
        break;
      }
    }
  }
  await env.admin.flushdb();
  const foreigns = [...samples.values()].flat().map((s) => s.foreign).filter(Number.isFinite);
  const noise = QUIET
    ? `foreign CPU during kept runs' timed sections: max ${foreigns.length > 0 ? pct(Math.max(...foreigns)) : 'n/a'}` +
      ` (${foreigns.length} of ${[...samples.values()].flat().length} runs measured); ${discarded} noisy run(s) discarded and rerun`
    : 'noise control off (BENCH_QUIET=0)';
  return { samples, noise };
}

/** What one suite reports. */
export interface SuiteResult {
  /** The suite's final JSON object (printed on one line at the very end). */
  readonly json: Record<string, unknown>;
}

/** A benchmark suite: `run` prints its progress and table and returns its JSON. */
export interface Suite {
  readonly name: string;
  run(env: BenchEnv): Promise<SuiteResult>;
}

/**
 * Run `suites` in order against one Redis, then print their JSON lines as
 * the last lines of stdout. A suite whose verification fails is reported,
 * the others still run, and the exit code is 1 (its JSON line is left out).
 */
export async function runSuites(suites: readonly Suite[]): Promise<{ code: number; results: Record<string, unknown>[] }> {
  const { env, close } = await openEnv();
  const lines: string[] = [];
  const results: Record<string, unknown>[] = [];
  let code = 0;
  try {
    for (const suite of suites) {
      try {
        const began = performance.now();
        const result = await suite.run(env);
        lines.push(JSON.stringify(result.json));
        results.push(result.json);
        console.log(`(${suite.name} suite: ${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
      } catch (error) {
        if (!(error instanceof VerificationError)) throw error;
        console.error(`VERIFICATION FAILED (${suite.name}): ${error.message}`);
        code = 1;
      }
    }
  } finally {
    await close();
  }
  for (const line of lines) console.log(line);
  return { code, results };
}

/** Whether the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === url;
}

/**
 * Run `suites` as the process's main job: exit code from {@link runSuites},
 * leave even if a handle lingers. `after` gets the suites' JSON objects
 * once they are printed (all.bench.ts's `--readme`).
 */
export function main(suites: readonly Suite[], name: string, after?: (results: readonly Record<string, unknown>[]) => void): void {
  runSuites(suites).then(
    ({ code, results }) => {
      process.exitCode = code;
      after?.(results);
      // Everything we opened is closed; if a handle still keeps the loop alive, say so and leave anyway.
      setTimeout(() => {
        console.error(`${name}: handles still open after cleanup; exiting`);
        process.exit(code);
      }, 5000).unref();
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 2;
      setTimeout(() => process.exit(2), 5000).unref();
    },
  );
}
