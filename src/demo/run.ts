/**
 * @internal
 * `kiq demo`: a real Kiq server on a real Redis, in one process, for a
 * newcomer to watch.
 *
 * 1. Redis: the given URL (`--redis-url` / `REDIS_URL`), used as is; else a
 *    throwaway `redis-server` on a free port (stopped when the demo ends,
 *    whatever way it ends); else exit 1 with the install hint.
 * 2. Clear the demo's own keys (its queues and its jobs in the sorted sets:
 *    demo-keys.ts), nothing else.
 * 3. Start a server with the demo workers (workers.ts) and a periodic entry,
 *    enqueue N jobs (70 % `Demo::Greeter`, 30 % `Demo::Flaky`) and 3
 *    `Demo::Later` jobs 2 s ahead.
 * 4. Show progress until every enqueued job has settled and at least two
 *    periodic ticks ran (ticks are only waited for while this process leads),
 *    or the time limit passes (exit 1), or SIGINT/SIGTERM (exit 130/143).
 * 5. Stop gracefully, print the final stats and where to look next.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { Kiq } from '../kiq.js';
import { connectRedis } from '../redis/connect.js';
import { redactUrl } from '../redis/redact-url.js';
import { LEADER } from '../redis/keys.js';
import { clearDemoKeys, countDemoLeftovers, type DemoLeftovers } from './demo-keys.js';
import { Progress, seconds } from './progress.js';
import { redisServerVersion, startThrowawayRedis, type ThrowawayRedis } from './redis-server.js';
import { Tally, type TallyNote } from './tally.js';
import { DEMO_PERIODICS, DEMO_QUEUES, DEMO_WORKERS, Flaky, Greeter, Later, LATER_IN_MS, TICK_CRON } from './workers.js';

/** What the demo needs from its caller (the CLI passes its `CliIo` plus the terminal flag). */
export interface DemoIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Rewrite one progress line in place (a terminal) instead of printing plain lines. */
  readonly tty: boolean;
}

/** Settings of one demo run. */
export interface DemoOptions {
  /** Jobs enqueued at once (besides the scheduled and periodic ones). */
  readonly jobs: number;
  /** Most time the run may take, ms, before it gives up (exit 1). */
  readonly timeoutMs: number;
  /** A Redis URL to use instead of a throwaway server. */
  readonly redisUrl: string | undefined;
}

/** Scheduled `Demo::Later` jobs per run. */
export const LATER_JOBS = 3;
/** Periodic ticks a run waits for. */
export const TICKS_WANTED = 2;
/** Share of the N jobs that go to `Demo::Flaky`. */
const FLAKY_SHARE = 0.3;
/** Failures shown as lines of their own; the rest are only counted. */
const FAILURES_SHOWN = 3;
/** How long the demo waits to become leader before it stops waiting for ticks, ms. */
const LEADER_WAIT_MS = 5_000;
/** How long `stop()` may wait for running jobs, ms (demo jobs take milliseconds). */
const STOP_TIMEOUT_MS = 5_000;

/** Exit codes after a signal: 128 + its number, as shells report them. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type SignalName = keyof typeof SIGNAL_EXIT;

/** How a run ended: everything ran, the time limit, the Kiq tree gave up, or a signal. */
type Outcome = 'done' | 'timeout' | 'failed' | SignalName;

/** The one-line message when there is no Redis to use. */
export const NO_REDIS_MESSAGE =
  'kiq demo needs Redis: install redis-server (apt-get install redis-server / brew install redis) so the demo can start a throwaway one, or set REDIS_URL=redis://host:6379';

/** The default time limit: 30 s, more for large runs (about 100 jobs/s of headroom). */
export function defaultTimeoutMs(jobs: number): number {
  return Math.max(30_000, Math.ceil(jobs / 100) * 1000);
}

/** Where the demo got its Redis. */
interface DemoRedis {
  readonly url: string;
  readonly throwaway: ThrowawayRedis | undefined;
}

/** Runs the demo; resolves with the exit code. Never leaves a throwaway Redis running. */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<number> {
  // from the start: a Ctrl-C with Node's default handling would end the
  // process without its 'exit' event, leaving the throwaway Redis behind
  const signal = waitForSignal();
  try {
    const redis = await chooseRedis(options, io);
    if (typeof redis === 'number') return redis;
    let result: DemoResult;
    try {
      result = signal.name ? { code: SIGNAL_EXIT[signal.name] } : await runOn(redis, options, io, signal);
    } finally {
      if (redis.throwaway) {
        await redis.throwaway.stop();
        io.out(`Stopped the throwaway redis-server (pid ${redis.throwaway.pid}).\n`);
      }
    }
    if (result.after) io.out(result.after);
    return result.code;
  } finally {
    signal.dispose();
  }
}

/** An exit code, and what to print once the throwaway Redis is gone. */
interface DemoResult {
  readonly code: number;
  readonly after?: string;
}

async function chooseRedis(options: DemoOptions, io: DemoIo): Promise<DemoRedis | number> {
  if (options.redisUrl) {
    io.out(`Redis: ${redactUrl(options.redisUrl)} (as given; the demo clears only its own queues ${Object.keys(DEMO_QUEUES).join(', ')} and their jobs)\n`);
    return { url: options.redisUrl, throwaway: undefined };
  }
  const found = redisServerVersion(io.env as NodeJS.ProcessEnv);
  if (!found) {
    io.err(`${NO_REDIS_MESSAGE}\n`);
    return 1;
  }
  if (!found.supported) {
    io.err(`kiq demo: redis-server ${found.version} is too old (Kiq needs Redis >= 6.2): upgrade it, or set REDIS_URL to a newer Redis\n`);
    return 1;
  }
  const throwaway = await startThrowawayRedis(io.env as NodeJS.ProcessEnv);
  io.out(`Redis: started a throwaway redis-server ${found.version} on 127.0.0.1:${throwaway.port} (pid ${throwaway.pid}); it is stopped when the demo ends\n`);
  return { url: throwaway.url, throwaway };
}

async function runOn(redis: DemoRedis, options: DemoOptions, io: DemoIo, signal: SignalWait): Promise<DemoResult> {
  // rejects with a RedisUnreachableError naming the URL (`cannot reach Redis at …: connection refused`)
  const admin = await connectRedis(redis.url, { connectionName: 'kiq:demo' });
  try {
    await clearDemoKeys(admin);
    return await serve(redis, admin, options, io, signal);
  } finally {
    await admin.quit().catch(() => admin.disconnect());
  }
}

async function serve(redis: DemoRedis, admin: Redis, options: DemoOptions, io: DemoIo, signal: SignalWait): Promise<DemoResult> {
  const progress = new Progress({ write: (text) => io.out(text), isTTY: io.tty });
  const kiq = new Kiq({
    redisUrl: redis.url,
    queues: DEMO_QUEUES,
    workers: DEMO_WORKERS,
    periodics: DEMO_PERIODICS,
    pollInterval: 500, // retries and scheduled jobs are moved to their queues within about half a second
    shutdownTimeout: STOP_TIMEOUT_MS,
    logger: demoLogger((line) => progress.note(line)),
  });
  let watching = true; // what happens during the stop is not news
  const tally = new Tally(kiq, (note) => {
    const line = watching ? describe(note) : undefined;
    if (line) progress.note(line);
  });

  const flaky = Math.round(options.jobs * FLAKY_SHARE);
  const greeter = options.jobs - flaky;
  io.out(`kiq demo: ${options.jobs} jobs through a Kiq server (identity ${kiq.identity})\n`);
  io.out(
    [
      `  ${pad(Greeter.class)} queue ${pad('demo', 10)} ${String(greeter).padStart(6)} jobs, fast`,
      `  ${pad(Flaky.class)} queue ${pad('demo-flaky', 10)} ${String(flaky).padStart(6)} jobs, ~30 % fail once and are retried 1-10 s later (retryIn 1 s + Sidekiq's jitter)`,
      `  ${pad(Later.class)} queue ${pad('demo', 10)} ${String(LATER_JOBS).padStart(6)} jobs, enqueued { in: ${LATER_IN_MS} }: they wait in the schedule set`,
      `  ${pad('Demo::Tick')} queue ${pad('demo-cron', 10)} periodic '${TICK_CRON}' (every 2 s), enqueued by the leader only`,
      '',
    ].join('\n'),
  );

  const started = Date.now();
  try {
    await kiq.start();
  } catch (error) {
    io.err(`kiq demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return { code: 1 };
  }

  // interleaved, so both queues have work from the first moment
  for (let i = 0, g = 0, f = 0; i < options.jobs; i += 1) {
    const job =
      f < flaky && (g >= greeter || (f + 1) * greeter <= (g + 1) * flaky)
        ? await kiq.enqueue(Flaky, [(f += 1)])
        : await kiq.enqueue(Greeter, ['world', (g += 1)]);
    tally.expect(job.jid);
  }
  for (let n = 1; n <= LATER_JOBS; n += 1) tally.expect((await kiq.enqueue(Later, [n], { in: LATER_IN_MS })).jid);
  const outcome = await watch(kiq, tally, progress, options, started, signal);
  watching = false;
  progress.end();
  const signalled = outcome === 'SIGINT' || outcome === 'SIGTERM';
  if (outcome !== 'done') {
    const why = outcome === 'timeout' ? 'Time is up' : outcome === 'failed' ? 'Kiq gave up (see the error above)' : `${outcome}: stopping`;
    io.out(`${why}; waiting for running jobs (up to ${seconds(STOP_TIMEOUT_MS)})${signalled ? ', Ctrl-C again to exit at once' : ''}...\n`);
  }
  const secondSignal = signalled ? forceOnSignal(redis, io) : undefined;
  try {
    await kiq.stop();
  } catch (error) {
    io.err(`kiq demo: stop: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    secondSignal?.();
  }
  const left = await countDemoLeftovers(admin).catch(() => undefined);
  const leader = await admin.get(LEADER).catch(() => null);
  io.out(summary(outcome, tally, left, Date.now() - started, options, leader));
  if (outcome === 'done') return { code: 0, after: nextSteps(redis) };
  if (outcome === 'failed') return { code: 1 };
  if (outcome === 'timeout') {
    io.err(
      `kiq demo: not done within ${seconds(options.timeoutMs)}: ${tally.waiting} job(s) still waiting, ${tally.ticks} tick(s) ran. ` +
        'Is Redis slow, or is another demo running on it? Try --timeout.\n',
    );
    return { code: 1 };
  }
  return { code: SIGNAL_EXIT[outcome] };
}

/** Polls the tally until done, the time limit, or a signal; prints the progress. */
async function watch(
  kiq: Kiq,
  tally: Tally,
  progress: Progress,
  options: DemoOptions,
  started: number,
  signal: SignalWait,
): Promise<Outcome> {
  const samples: { at: number; processed: number }[] = [{ at: started, processed: 0 }];
  const every = progress.tty ? 100 : 1000;
  let toldNoLeader = false;
  let lastPrint = started;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = Date.now();
    if (signal.name) return signal.name;
    if (kiq.state === 'failed') return 'failed';
    const waitTicks = tally.everLed || now - started < LEADER_WAIT_MS;
    if (!waitTicks && !toldNoLeader && tally.ticks < TICKS_WANTED) {
      toldNoLeader = true;
      progress.note('  (another process leads on this Redis: periodic jobs are enqueued by the leader only, so the demo does not wait for Demo::Tick)');
    }
    const done = tally.waiting === 0 && (tally.ticks >= TICKS_WANTED || !waitTicks);
    if (done || now - lastPrint >= every) {
      lastPrint = now;
      samples.push({ at: now, processed: tally.processed });
      while (samples.length > 2 && samples[1]!.at <= now - 1000) samples.shift();
      const first = samples[0]!;
      const rate = now > first.at ? ((tally.processed - first.processed) * 1000) / (now - first.at) : 0;
      progress.status({ processed: tally.processed, failed: tally.failed, retries: tally.retries, jobsPerSecond: rate, elapsedMs: now - started });
    }
    if (done) return 'done';
    if (now - started > options.timeoutMs) return 'timeout';
  }
}

/** The first SIGINT or SIGTERM of the run, if any. */
interface SignalWait {
  readonly name: SignalName | undefined;
  dispose(): void;
}

/** Catch SIGINT and SIGTERM until `dispose()` (Node's default exit is off meanwhile); the first one is kept. */
function waitForSignal(): SignalWait {
  let name: SignalName | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as SignalName[]).map((signal) => {
    const handler = (): void => {
      name ??= signal;
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    get name() {
      return name;
    },
    dispose: () => handlers.forEach(([signal, handler]) => process.off(signal, handler)),
  };
}

/** While stopping after a signal: a second one stops the throwaway Redis and exits at once. */
function forceOnSignal(redis: DemoRedis, io: DemoIo): () => void {
  const force = (): void => {
    io.err('kiq demo: interrupted again, exiting without waiting\n');
    void (redis.throwaway?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  return () => {
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  };
}

/** Kiq's own log lines: job lines are counted, not printed; other warnings and errors are shown. */
function demoLogger(show: (line: string) => void): Logger {
  const pass = (line: string): void => {
    let event: unknown;
    try {
      event = (JSON.parse(line) as { event?: unknown }).event;
    } catch {
      // not one of Kiq's JSON lines: show it
    }
    if (typeof event === 'string' && event.startsWith('job_')) return;
    show(`  kiq: ${line}`);
  };
  return { info: () => undefined, warn: pass, error: pass };
}

/** A line for a notable event, or `undefined` for one only counted. */
function describe(note: TallyNote): string | undefined {
  switch (note.kind) {
    case 'leader':
      return note.leader
        ? '  leader: this process holds dear-leader, so it enqueues the periodic Demo::Tick'
        : '  leader: this process is no longer the leader';
    case 'failure':
      if (note.nth > FAILURES_SHOWN) return undefined;
      return `  ${note.class} failed: ${note.message} -> ${note.outcome === 'retry' ? 'retry set' : note.outcome}${note.nth === FAILURES_SHOWN ? ' (further failures are counted, not shown)' : ''}`;
    case 'retried':
      return note.nth === 1 ? `  ${note.class}: a retry came back from the retry set and succeeded` : undefined;
    case 'later':
      return `  Demo::Later #${note.nth} ran ${Number.isFinite(note.delayMs) ? seconds(note.delayMs) : 'some time'} after it was enqueued (schedule set -> queue demo)`;
    case 'tick':
      return `  Demo::Tick #${note.nth} (periodic '${TICK_CRON}')`;
  }
}

function summary(
  outcome: Outcome,
  tally: Tally,
  left: DemoLeftovers | undefined,
  elapsedMs: number,
  options: DemoOptions,
  leader: string | null,
): string {
  const head =
    outcome === 'done'
      ? `Done in ${seconds(elapsedMs)}: all ${options.jobs} jobs, ${LATER_JOBS} scheduled jobs and ${tally.ticks} periodic tick(s) ran.`
      : `${outcome === 'timeout' || outcome === 'failed' ? 'Gave up' : 'Stopped'} after ${seconds(elapsedMs)}: ${tally.waiting} of ${options.jobs + LATER_JOBS} jobs not done.`;
  const runs = [...tally.runs].map(([name, count]) => `${name} ${count}`).join(' · ');
  const unknown = '?';
  const rows = [
    ['processed', tally.processed, 'runs of perform, failures included (as Sidekiq counts)'],
    ['failed', tally.failed, `runs that threw; retried and succeeded since: ${tally.retried}`],
    ['retries left', left?.retries ?? unknown, 'demo jobs still in the retry set'],
    ['dead', left?.dead ?? unknown, 'demo jobs in the dead set'],
  ] as const;
  const lines = rows.map(([label, value, note]) => `  ${label.padEnd(13)}${String(value).padStart(6)}   ${note}`);
  if (runs) lines.push(`  succeeded by worker: ${runs}`);
  if (outcome === 'done' && !tally.everLed) lines.push(`  (leader during the demo: ${leader ?? 'none'}; periodic jobs run only where the leader enqueues them)`);
  return `\n${head}\n${lines.join('\n')}\n`;
}

function nextSteps(redis: DemoRedis): string {
  const rows: [string, string][] = [
    ['README.md', 'Quickstart, "Running jobs" (retries, the dead set), "Leader election and periodic jobs",'],
    ['', '"Testing your app (sandbox mode)"'],
    ['src/demo/workers.ts', 'the four workers that just ran: plain defineWorker calls'],
    ['kiq gen worker Mailer', 'a worker of your own with its test (also: kiq gen kiq App, kiq gen reporter Audit)'],
    ['kiq stats', "the numbers Sidekiq's dashboard shows; also kiq queues, kiq retries list, kiq processes"],
    ['kiq --help', 'every command (in this checkout: npm run kiq -- <command>; in an app: npx kiq <command>)'],
    ['diagrams/index.md', 'the actor tree that ran these jobs; diagrams/README.md follows one job from enqueue to ack'],
    ["Sidekiq's Web UI", "Kiq writes Sidekiq's format: a Web UI on the same Redis shows the queues, retries, dead"],
    ['', 'jobs, and Kiq processes on its Busy page'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const keep = redis.throwaway
    ? '\nThat Redis is gone now. To look around after a run, give the demo a Redis that stays:\n  REDIS_URL=redis://127.0.0.1:6379 npm run demo, then npm run kiq -- stats\n'
    : '';
  return `\nWhere to look next:\n${rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join('\n')}\n${keep}`;
}

function pad(text: string, width = 14): string {
  return text.padEnd(width);
}
