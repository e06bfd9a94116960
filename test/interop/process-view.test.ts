/**
 * Interop, process view: a running Kiq server as the real Ruby Sidekiq 6.4
 * (Debian `ruby-sidekiq`) sees it. While Kiq holds two slow jobs running
 * (one on each of its queues) and has finished, retried, killed and
 * scheduled others, Sidekiq's own API (`ProcessSet`, `Workers`, `Stats`,
 * `Stats::History`) reads its heartbeat, and Sidekiq's Web UI, rendered
 * in-process, serves the dashboard, Busy, Queues, Retries, Scheduled and
 * Dead pages with 200. Then `Sidekiq::Process#quiet!` quiets Kiq within two
 * of its real 5 s beats, and `#stop!` stops it within two (forced) beats:
 * one slow job finishes inside the shutdown timeout, the other is requeued.
 *
 * As in the other interop files, one scenario runs in `before` and records
 * what it saw; each `it` checks one property of that record (`useRedis`
 * flushes the database before every `it`, so the `it`s never read Redis).
 * The rendered Busy page is printed once, as text, between `----- BEGIN`
 * and `----- END` lines, so CI logs show what an operator would see.
 */
import { expect } from 'chai';
import { hostname } from 'node:os';
import { defineWorker, Kiq, type JobContext, type Worker } from '../../src/index.js';
import { kBeat } from '../../src/server/heartbeat.js';
import { silent, type MemoryLogger } from '../support/logger.js';
import { useRedis, type TestRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { recordScenario } from './recorded-scenario.js';
import { htmlToText, pushWithRuby, renderWebUi, rubyInspect, RubyJob, type WebUiPage } from './sidekiq.js';

const QUEUES = { default: 3, low: 2 } as const;
const PAGES = ['/', '/busy', '/queues', '/retries', '/scheduled', '/morgue'] as const;
/** Sidekiq 6.4's beat period, which Kiq's `beat` ticker keeps (src/server/heartbeat.ts). */
const BEAT_MS = 5_000;
/** `shutdownTimeout`: how long stop waits for the slow job that is never released. */
const SHUTDOWN_TIMEOUT_MS = 1_500;
/** A retry and a scheduled job far enough out that nothing promotes them during the test. */
const FAR_MS = 3_600_000;

/** Jobs a slow worker holds, by jid: released by the test, or failed by the shutdown's abort. */
const slowGates = new Map<string, { readonly release: () => void }>();
const slowStarted: string[] = [];
const slowFinished: string[] = [];
const slowAborted: string[] = [];
const echoDone: unknown[][] = [];
const boomAttempts: string[] = [];

/** Succeeds; records its args. */
const Echo = defineWorker({
  class: RubyJob.Echo,
  perform(args: unknown[]) {
    echoDone.push(args);
  },
});

/** Always throws; a retry waits an hour (no promotion while the test runs). */
const Boom = defineWorker({
  class: RubyJob.Failing,
  retryIn: () => FAR_MS,
  perform(_args: unknown[], ctx: JobContext): never {
    boomAttempts.push(ctx.jid);
    throw new Error(`process-view boom ${ctx.jid}`);
  },
});

/** Runs until the test releases it, or rejects with the shutdown's abort reason (the job is then requeued). */
const Slow = defineWorker({
  class: RubyJob.Slow,
  perform(_args: unknown[], ctx: JobContext): Promise<void> {
    slowStarted.push(ctx.jid);
    return new Promise<void>((resolve, reject) => {
      slowGates.set(ctx.jid, {
        release: () => {
          slowFinished.push(ctx.jid);
          resolve();
        },
      });
      ctx.signal.addEventListener(
        'abort',
        () => {
          slowAborted.push(ctx.jid);
          reject(ctx.signal.reason);
        },
        { once: true },
      );
    });
  },
});

/** A `ProcessSet` entry as Sidekiq's API reads it. */
interface RubyProcess {
  readonly identity: string;
  readonly hostname: string;
  readonly pid: number;
  readonly tag: string;
  readonly labels: unknown[];
  readonly queues: string[];
  readonly concurrency: number;
  readonly busy: number;
  readonly quiet: string;
  readonly stopping: boolean;
  readonly beat: number;
  readonly started_at: number;
  readonly rss: number;
}

/** A `Sidekiq::Workers` entry. */
interface RubyWork {
  readonly process: string;
  readonly thread: string;
  readonly queue: string;
  readonly run_at: unknown;
  readonly run_at_class: string;
  readonly payload_class: string;
  readonly jid: string;
  readonly class: string;
  readonly args: unknown[];
  readonly display_class: string;
}

interface RubyView {
  readonly now: number;
  readonly processes: RubyProcess[];
  readonly total_concurrency: number;
  readonly workers_size: number;
  readonly workers: RubyWork[];
  readonly stats: {
    readonly processed: number;
    readonly failed: number;
    readonly processes_size: number;
    readonly workers_size: number;
    readonly retry_size: number;
    readonly dead_size: number;
    readonly scheduled_size: number;
    readonly enqueued: number;
  };
  readonly history: { readonly processed: Record<string, number>; readonly failed: Record<string, number> };
  readonly queues: Record<string, string[]>;
}

/** Everything Sidekiq's API says about processes, running jobs, counters and queues. */
const INSPECT_VIEW = `
ps = Sidekiq::ProcessSet.new
processes = ps.map do |p|
  {
    "identity" => p.identity, "hostname" => p["hostname"], "pid" => p["pid"], "tag" => p.tag,
    "labels" => p.labels, "queues" => p.queues, "concurrency" => p["concurrency"], "busy" => p["busy"],
    "quiet" => p["quiet"], "stopping" => p.stopping?, "beat" => p["beat"], "started_at" => p["started_at"],
    "rss" => p["rss"]
  }
end
workers = []
Sidekiq::Workers.new.each do |process, thread, work|
  payload = work["payload"]
  job = Sidekiq::JobRecord.new(payload)
  workers << {
    "process" => process, "thread" => thread, "queue" => work["queue"],
    "run_at" => work["run_at"], "run_at_class" => work["run_at"].class.name,
    "payload_class" => payload.class.name, "jid" => job.jid, "class" => job.klass,
    "args" => job.args, "display_class" => job.display_class
  }
end
stats = Sidekiq::Stats.new
history = Sidekiq::Stats::History.new(1)
{
  "now" => Time.now.to_f,
  "processes" => processes,
  "total_concurrency" => ps.total_concurrency,
  "workers_size" => Sidekiq::Workers.new.size,
  "workers" => workers,
  "stats" => {
    "processed" => stats.processed, "failed" => stats.failed, "processes_size" => stats.processes_size,
    "workers_size" => stats.workers_size, "retry_size" => stats.retry_size, "dead_size" => stats.dead_size,
    "scheduled_size" => stats.scheduled_size, "enqueued" => stats.enqueued
  },
  "history" => { "processed" => history.processed, "failed" => history.failed },
  "queues" => Sidekiq::Queue.all.to_h { |q| [q.name, q.map(&:jid)] }
}
`;

/** Sends a signal the way the Web UI's buttons do; returns when Ruby's LPUSH was done. */
const SIGNAL_PROCESS = `
p = Sidekiq::ProcessSet.new.find { |x| x.identity == INPUT["identity"] }
raise "process #{INPUT["identity"]} is not in Sidekiq::ProcessSet" unless p
p.public_send(INPUT["action"])
{ "sent_at" => Time.now.to_f }
`;

/** One poll of the Kiq process's hash while waiting for `quiet`. */
interface BeatSample {
  readonly atMs: number;
  readonly beat: number;
  readonly quiet: string | null;
  readonly pendingSignals: number;
}

/** What the scenario observed; the `it`s assert on it. */
interface Observed {
  readonly identity: string;
  readonly jids: { readonly slowDefault: string; readonly slowLow: string; readonly retry: string; readonly dead: string; readonly scheduled: string };
  /** Kiq's counts of finished executions when Ruby looked (from the workers' own records). */
  readonly kiqCounts: { readonly processed: number; readonly failed: number };
  /** `stat:processed` / `stat:failed` as Kiq wrote them. */
  readonly statKeys: { readonly processed: number; readonly failed: number };
  /** Busy phase: the API and the Web UI. */
  readonly busy: { readonly view: RubyView; readonly pages: WebUiPage[]; readonly busyText: string };
  readonly quiet: {
    /** Ruby's clock right after `#quiet!`'s LPUSH, epoch s. */
    readonly sentAt: number;
    /** Polls of the hash from the signal until `quiet` was "true". */
    readonly samples: BeatSample[];
    readonly elapsedMs: number;
    readonly view: RubyView;
    readonly busyPage: WebUiPage;
    /** Pushed by Ruby's `Sidekiq::Client` after Kiq showed quiet. */
    readonly pushedWhileQuiet: string;
  };
  readonly stop: {
    readonly sentAt: number;
    /** `kiq[kBeat]()` calls until Kiq left `running` (0: the 5 s ticker took TERM first). */
    readonly forcedBeats: number;
    readonly stateAfterBeats: string;
    readonly stoppingEvents: number;
    readonly stoppedAfterMs: number;
    readonly finalState: string;
    readonly redis: {
      readonly member: number;
      readonly hashes: number;
      readonly privateLists: number;
      readonly queueDefault: string[];
      readonly queueLow: string[];
    };
    readonly view: RubyView;
  };
  readonly echoDone: unknown[][];
  readonly slowFinished: string[];
  readonly slowAborted: string[];
  readonly log: readonly string[];
}

describe('Interop, process view: a running Kiq server in Sidekiq 6.4’s ProcessSet, Workers, Stats and Web UI; quiet!/stop! from Ruby', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const rec = recordScenario(redis, scenario, {
    beforeStop: () => {
      for (const gate of slowGates.values()) gate.release();
    },
  });

  it('ProcessSet lists exactly the Kiq process: identity, hostname, pid, queues, concurrency 5, busy 2, quiet "false"', () => {
    const { view } = rec().busy;
    expect(view.processes).to.have.length(1);
    const [p] = view.processes;
    expect(p!.identity).to.equal(rec().identity);
    expect(p!.hostname).to.equal(process.env.DYNO || hostname());
    expect(p!.pid).to.equal(process.pid);
    expect(p!.queues).to.deep.equal(['default', 'low']);
    expect(p!.concurrency).to.equal(5);
    expect(p!.busy).to.equal(2);
    expect(p!.quiet).to.equal('false');
    expect(p!.stopping).to.equal(false);
    expect(p!.tag).to.equal('');
    expect(p!.labels).to.deep.equal([]);
    expect(p!.beat, 'a beat within the last two periods').to.be.within(view.now - (2 * BEAT_MS) / 1000, view.now + 1);
    expect(p!.started_at).to.be.a('number').below(p!.beat);
    expect(p!.rss).to.be.a('number').above(0);
    expect(view.total_concurrency).to.equal(5);
    expect(view.stats.processes_size).to.equal(1);
  });

  it("Workers shows Kiq's two running jobs in Sidekiq's shape (queue, payload class/args/jid, integer run_at)", () => {
    const { view } = rec().busy;
    expect(view.workers_size, 'Workers#size (sum of busy)').to.equal(2);
    expect(view.stats.workers_size).to.equal(2);
    expect(view.workers).to.have.length(2);
    const byJid = new Map(view.workers.map((w) => [w.jid, w]));
    const expected = [
      { jid: rec().jids.slowDefault, queue: 'default', args: ['default'] },
      { jid: rec().jids.slowLow, queue: 'low', args: ['low'] },
    ];
    for (const { jid, queue, args } of expected) {
      const w = byJid.get(jid);
      expect(w, `${queue} job ${jid}`).to.not.equal(undefined);
      expect(w!.process).to.equal(rec().identity);
      expect(w!.queue).to.equal(queue);
      expect(w!.payload_class, 'payload parsed into a Hash').to.equal('Hash');
      expect(w!.class).to.equal(RubyJob.Slow);
      expect(w!.display_class).to.equal(RubyJob.Slow);
      expect(w!.args).to.deep.equal(args);
      expect(w!.run_at_class, 'run_at is an Integer').to.equal('Integer');
      expect(w!.run_at as number).to.be.within(rec().busy.view.now - 30, rec().busy.view.now);
    }
    expect(new Set(view.workers.map((w) => w.thread)).size, 'one thread id per job').to.equal(2);
  });

  it("Stats counts Kiq's processed and failed, and Stats::History has today's count", () => {
    const { stats, history } = rec().busy.view;
    expect(rec().kiqCounts, 'the scenario ran what it meant to').to.deep.equal({ processed: 5, failed: 2 });
    expect(rec().statKeys).to.deep.equal(rec().kiqCounts);
    expect(stats.processed).to.equal(rec().kiqCounts.processed);
    expect(stats.failed).to.equal(rec().kiqCounts.failed);
    const today = new Date(rec().busy.view.now * 1000).toISOString().slice(0, 10);
    expect(history.processed).to.deep.equal({ [today]: rec().kiqCounts.processed });
    expect(history.failed).to.deep.equal({ [today]: rec().kiqCounts.failed });
    expect(stats.retry_size).to.equal(1);
    expect(stats.dead_size).to.equal(1);
    expect(stats.scheduled_size).to.equal(1);
  });

  it('the Web UI renders the dashboard, Busy, Queues, Retries, Scheduled and Dead pages with 200 while Kiq is busy', () => {
    expect(rec().busy.pages.map((p) => p.path)).to.deep.equal([...PAGES]);
    for (const page of rec().busy.pages) {
      expect(page.error, `${page.path} raised`).to.equal(undefined);
      expect(page.status, page.path).to.equal(200);
    }
    const html = (path: string) => rec().busy.pages.find((p) => p.path === path)!.html;
    expect(html('/retries'), 'Retries lists the retry').to.include(rec().jids.retry);
    expect(html('/morgue'), 'Dead lists the dead job').to.include(rec().jids.dead);
    expect(html('/scheduled'), 'Scheduled lists the scheduled job').to.include(rec().jids.scheduled);
    expect(htmlToText(html('/queues'))).to.match(/\bdefault\b/).and.to.match(/\blow\b/);
  });

  it('the Busy page shows the process (name, queues, threads, busy) and both running jobs', () => {
    const text = rec().busy.busyText;
    const name = `${process.env.DYNO || hostname()}:${process.pid}`;
    expect(text).to.include(name);
    expect(text).to.include('Queues: default, low');
    // processes table row: name … threads 5, busy 2
    expect(text).to.match(new RegExp(`${escapeRegExp(name)} .*Queues: default, low .* 5 2 `));
    for (const jid of [rec().jids.slowDefault, rec().jids.slowLow]) expect(text).to.include(`${rec().identity} `).and.to.include(` ${jid} `);
    expect(text).to.include(`${RubyJob.Slow} "default"`);
    expect(text).to.include(`${RubyJob.Slow} "low"`);
    expect(text, 'no quiet badge while running').to.not.match(new RegExp(`${escapeRegExp(name)} quiet`));
  });

  it('Process#quiet! → Kiq beats quiet "true" within two real 5 s beats; ProcessSet and the Busy page show it quiet', () => {
    const { quiet } = rec();
    const sentMs = quiet.sentAt * 1000;
    // the beats written after Ruby's LPUSH, up to the first one that says quiet
    const firstQuiet = quiet.samples.findIndex((s) => s.quiet === 'true');
    expect(firstQuiet, JSON.stringify(quiet.samples)).to.be.at.least(0);
    const beatsAfter = new Set(quiet.samples.slice(0, firstQuiet + 1).map((s) => s.beat).filter((beat) => beat * 1000 > sentMs));
    expect(beatsAfter.size, `beats after the signal until quiet: ${[...beatsAfter].join(', ')}`).to.be.within(1, 2);
    expect(quiet.elapsedMs, 'two beat periods plus write and poll latency').to.be.at.most(2 * BEAT_MS + 1_000);
    expect(quiet.samples[firstQuiet]!.pendingSignals, 'TSTP was taken from <identity>-signals').to.equal(0);
    expect(rec().log.some((line) => line.includes('"event":"signal_received"') && line.includes('"TSTP"'))).to.equal(true);
    const [p] = quiet.view.processes;
    expect(quiet.view.processes).to.have.length(1);
    expect(p!.quiet).to.equal('true');
    expect(p!.stopping, 'Process#stopping?').to.equal(true);
    expect(p!.busy, 'running jobs go on while quiet').to.equal(2);
    expect(quiet.busyPage.status, quiet.busyPage.error).to.equal(200);
    expect(htmlToText(quiet.busyPage.html)).to.match(new RegExp(`${escapeRegExp(`${process.env.DYNO || hostname()}:${process.pid}`)} quiet `));
  });

  it('a job Sidekiq::Client pushes while Kiq is quiet is never fetched (still on queue:default after Kiq stopped)', () => {
    const { pushedWhileQuiet } = rec().quiet;
    expect(rec().echoDone.some((args) => args[0] === 'while quiet')).to.equal(false);
    expect(rec().stop.redis.queueDefault.map((raw) => (JSON.parse(raw) as { jid: string }).jid)).to.deep.equal([pushedWhileQuiet]);
    expect(rec().stop.view.queues.default).to.deep.equal([pushedWhileQuiet]);
  });

  it('Process#stop! → Kiq starts a graceful stop within two beats and reaches "stopped"', () => {
    const { stop } = rec();
    expect(stop.forcedBeats, 'kiq[kBeat]() calls until Kiq left running').to.be.within(0, 2);
    expect(stop.stateAfterBeats).to.be.oneOf(['stopping', 'stopped']);
    expect(stop.stoppingEvents).to.equal(1);
    expect(stop.finalState).to.equal('stopped');
    // drain waits SHUTDOWN_TIMEOUT_MS for the job that is never released, then requeues it
    expect(stop.stoppedAfterMs).to.be.below(SHUTDOWN_TIMEOUT_MS + 5_000);
    expect(rec().log.some((line) => line.includes('"event":"signal_received"') && line.includes('"TERM"'))).to.equal(true);
  });

  it('after stop! ProcessSet and Workers no longer list Kiq, and its heartbeat keys are gone', () => {
    const { stop } = rec();
    expect(stop.view.processes).to.deep.equal([]);
    expect(stop.view.workers).to.deep.equal([]);
    expect(stop.view.workers_size).to.equal(0);
    expect(stop.view.stats.processes_size).to.equal(0);
    // the last counters are flushed at stop: the released job +1 processed; the interrupted one
    // +1 processed +1 failed, as Sidekiq counts a job Sidekiq::Shutdown interrupted
    expect(stop.view.stats.processed).to.equal(rec().kiqCounts.processed + 2);
    expect(stop.view.stats.failed).to.equal(rec().kiqCounts.failed + 1);
    expect(stop.redis.member, 'SISMEMBER processes').to.equal(0);
    expect(stop.redis.hashes, '<identity>, :workers, :work').to.equal(0);
  });

  it('the slow jobs were handled as a graceful stop does: the released one finished, the other was requeued unchanged', () => {
    const { stop, jids } = rec();
    expect(rec().slowFinished).to.deep.equal([jids.slowDefault]);
    expect(rec().slowAborted, 'the shutdown timeout aborted the held job').to.deep.equal([jids.slowLow]);
    expect(stop.redis.privateLists, 'private lists empty').to.equal(0);
    expect(stop.redis.queueLow.map((raw) => (JSON.parse(raw) as { jid: string }).jid)).to.deep.equal([jids.slowLow]);
    const requeued = JSON.parse(stop.redis.queueLow[0]!) as Record<string, unknown>;
    expect(requeued).to.include({ class: RubyJob.Slow, queue: 'low' });
    expect(requeued.args).to.deep.equal(['low']);
    expect(requeued, 'requeued as fetched, not as a failure').to.not.have.property('error_class');
    expect(stop.view.queues.low, 'Sidekiq::Queue("low") sees it').to.deep.equal([jids.slowLow]);
  });
});

/**
 * Start Kiq with jobs that finish, fail (retry and dead), wait (scheduled)
 * and hold (two slow ones); read it with Sidekiq's API and Web UI; quiet it
 * with `Process#quiet!` on its real beats; push a job; stop it with
 * `Process#stop!` on forced beats; read again.
 */
async function scenario(redis: TestRedis, onKiq: (kiq: Kiq) => void): Promise<Observed> {
  const client = redis.client;
  await client.flushdb();
  for (const list of [slowStarted, slowFinished, slowAborted, echoDone, boomAttempts]) list.length = 0;
  slowGates.clear();

  const logger: MemoryLogger = silent();
  const kiq = new Kiq({
    redisUrl: redis.url,
    queues: { ...QUEUES },
    workers: [Echo, Boom, Slow] as Worker[],
    fetchInterval: 50,
    pollInterval: 1_000,
    shutdownTimeout: SHUTDOWN_TIMEOUT_MS,
    logger,
  });
  onKiq(kiq);
  const identity = kiq.identity;
  let stoppingEvents = 0;
  let slowDefault = '';
  kiq.on('stopping', () => {
    stoppingEvents++;
    // the job on `default` finishes inside the shutdown timeout; the one on `low` does not
    slowGates.get(slowDefault)?.release();
  });
  await kiq.start();

  // --- busy: 3 successes, a retry, a dead job, a scheduled job, two held jobs
  for (const n of [1, 2, 3]) await kiq.enqueue(Echo, [n]);
  const retry = await kiq.enqueue(Boom, ['retry']);
  const dead = await kiq.enqueue(Boom, ['dead'], { retry: 0 });
  const scheduled = await kiq.enqueue(Echo, ['scheduled'], { in: FAR_MS });
  slowDefault = (await kiq.enqueue(Slow, ['default'], { queue: 'default' })).jid;
  const slowLow = (await kiq.enqueue(Slow, ['low'], { queue: 'low' })).jid;
  await kiq.flush();
  await until(
    async () => slowStarted.length === 2 && echoDone.length === 3 && (await client.zcard('retry')) === 1 && (await client.zcard('dead')) === 1,
    10_000,
    'Kiq to run the echoes, fail twice and hold both slow jobs',
    20,
  );
  const kiqCounts = { processed: echoDone.length + boomAttempts.length, failed: boomAttempts.length };
  // a forced beat flushes the counters and the running jobs; beat again until Redis has them all
  // (the counters are taken by the job hook right after a failure's write lands)
  await until(
    async () => {
      await kiq[kBeat]();
      const [processed, failed, busy] = await Promise.all([client.get('stat:processed'), client.get('stat:failed'), client.hget(identity, 'busy')]);
      return Number(processed) === kiqCounts.processed && Number(failed) === kiqCounts.failed && busy === '2';
    },
    5_000,
    'a beat with both counters and busy 2',
    50,
  );
  const statKeys = { processed: Number(await client.get('stat:processed')), failed: Number(await client.get('stat:failed')) };
  const [busyView, busyPages] = await Promise.all([rubyInspect<RubyView>(redis.url, INSPECT_VIEW), renderWebUi(redis.url, PAGES)]);
  const busyPage = busyPages.find((p) => p.path === '/busy')!;
  const busyText = htmlToText(busyPage.html);
  console.log(`\n----- BEGIN Sidekiq 6.4 Web UI /busy (HTTP ${busyPage.status ?? busyPage.error}) with a busy Kiq process, as text -----\n${busyText}\n----- END /busy -----\n`);

  // --- quiet! through Sidekiq's API, on Kiq's real 5 s beats (no forced beat here)
  const quietSent = await rubyInspect<{ sent_at: number }>(redis.url, SIGNAL_PROCESS, { identity, action: 'quiet!' });
  const samples: BeatSample[] = [];
  await until(
    async () => {
      const [[beat, quiet], pendingSignals] = await Promise.all([client.hmget(identity, 'beat', 'quiet'), client.llen(`${identity}-signals`)]);
      const sample: BeatSample = { atMs: Date.now(), beat: Number(beat), quiet: quiet ?? null, pendingSignals };
      const last = samples.at(-1);
      if (!last || last.beat !== sample.beat || last.pendingSignals !== sample.pendingSignals) samples.push(sample);
      return quiet === 'true';
    },
    2 * BEAT_MS + 1_500,
    'Kiq to beat quiet "true" after Process#quiet!',
    25,
  );
  const elapsedMs = samples.at(-1)!.atMs - quietSent.sent_at * 1000;
  const [quietView, [quietBusyPage]] = await Promise.all([rubyInspect<RubyView>(redis.url, INSPECT_VIEW), renderWebUi(redis.url, ['/busy'])]);
  const pushedWhileQuiet = await pushWithRuby(redis.url, { queue: 'default', class: RubyJob.Echo, args: ['while quiet'] });

  // --- stop! through Sidekiq's API, taken by forced beats (two calls = two beats)
  const stopSent = await rubyInspect<{ sent_at: number }>(redis.url, SIGNAL_PROCESS, { identity, action: 'stop!' });
  let forcedBeats = 0;
  while (kiq.state === 'running' && forcedBeats < 2) {
    await kiq[kBeat]();
    forcedBeats++;
  }
  const stateAfterBeats = kiq.state;
  const stopStart = Date.now();
  await until(() => kiq.state === 'stopped', SHUTDOWN_TIMEOUT_MS + 10_000, 'Kiq to stop after Process#stop!', 20);
  const stoppedAfterMs = Date.now() - stopStart;
  const privateLists = (await client.keys(`queue:sq|${identity}|*`)).length;
  const stopRedis = {
    member: await client.sismember('processes', identity),
    hashes: await client.exists(identity, `${identity}:workers`, `${identity}:work`),
    privateLists,
    queueDefault: await client.lrange('queue:default', 0, -1),
    queueLow: await client.lrange('queue:low', 0, -1),
  };
  const stopView = await rubyInspect<RubyView>(redis.url, INSPECT_VIEW);
  const quietBeats = samples.filter((s) => s.beat * 1000 > quietSent.sent_at * 1000).length;
  console.log(
    `process-view timings: quiet! -> quiet "true" in ${Math.round(elapsedMs)} ms (${quietBeats} real beat(s) after the signal); ` +
      `stop! -> ${forcedBeats} forced beat(s), then "stopped" ${stoppedAfterMs} ms later (shutdown timeout ${SHUTDOWN_TIMEOUT_MS} ms)`,
  );

  return {
    identity,
    jids: { slowDefault, slowLow, retry: retry.jid, dead: dead.jid, scheduled: scheduled.jid },
    kiqCounts,
    statKeys,
    busy: { view: busyView, pages: busyPages, busyText },
    quiet: { sentAt: quietSent.sent_at, samples, elapsedMs, view: quietView, busyPage: quietBusyPage!, pushedWhileQuiet },
    stop: {
      sentAt: stopSent.sent_at,
      forcedBeats,
      stateAfterBeats,
      stoppingEvents,
      stoppedAfterMs,
      finalState: kiq.state,
      redis: stopRedis,
      view: stopView,
    },
    echoDone: [...echoDone],
    slowFinished: [...slowFinished],
    slowAborted: [...slowAborted],
    log: [...logger.lines],
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
