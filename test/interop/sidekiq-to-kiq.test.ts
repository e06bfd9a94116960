/**
 * Sidekiq → Kiq: jobs pushed by the real Ruby `Sidekiq::Client.push`
 * (Sidekiq 6.4, Debian `ruby-sidekiq`) — immediate, scheduled 1–2 s ahead,
 * with extra keys (`tags`, `bid`, `backtrace`) — are performed by a Kiq
 * server exactly once with the args Ruby wrote. A job Kiq fails is read back
 * through Sidekiq's own API (`Sidekiq::RetrySet`, `SortedEntry#at`,
 * `#error_backtrace`), made due with `SortedEntry#reschedule`, and performed
 * by a real Ruby Sidekiq server; a `retry: 0` job Kiq fails is in
 * `Sidekiq::DeadSet`. Sidekiq's Web UI renders the Retries and Dead pages.
 *
 * As in kiq-to-sidekiq.test.ts, one scenario runs in `before` and records
 * what it saw; each `it` checks one property of that record (`useRedis`
 * flushes the database before every `it`, so the `it`s never read Redis).
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { defineWorker, Kiq, type JobContext } from '../../src/index.js';
import { useRedis, type TestRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { recordScenario } from './recorded-scenario.js';
import { performedJobs, pushWithRuby, rubyInspect, RubyJob, runSidekiq, WEB_UI_APP, type PerformedJob, type RubyPush, type SidekiqRun } from './sidekiq.js';

const QUEUE = 'default';
/** First arg that makes Kiq's `KiqInterop::Echo` throw (Ruby's Echo records it like any other). */
const FAIL_ONCE = 'fail-once';
const EXTRAS = { tags: ['a', 'b'], bid: 'xyz', backtrace: true } as const;
const THIS_FILE = 'sidekiq-to-kiq.test.ts';

/** What Kiq's workers throw: `error_class` is the constructor's name, `InteropFailure`. */
class InteropFailure extends Error {}
const failOnceMessage = (jid: string) => `Kiq failed ${jid} once — ünïcode ✗ "quoted" <b>`;
const deadMessage = (jid: string) => `Kiq killed ${jid} 💀`;

/** One call of a Kiq worker's `perform`. */
interface KiqAttempt {
  readonly class: string;
  readonly jid: string;
  readonly args: unknown[];
  readonly queue: string;
  readonly retryCount: number;
  readonly job: Record<string, unknown>;
  /** Epoch ms when `perform` was called. */
  readonly atMs: number;
}

const attempts: KiqAttempt[] = [];

function record(className: string, args: unknown[], ctx: JobContext): void {
  attempts.push({
    class: className,
    jid: ctx.jid,
    args: structuredClone(args),
    queue: ctx.queue,
    retryCount: ctx.retryCount,
    job: structuredClone(ctx.job) as Record<string, unknown>,
    atMs: Date.now(),
  });
}

/** Kiq's worker for the class Ruby's `fixtures/worker.rb` also defines: records, and fails `[FAIL_ONCE, …]`. */
const KiqEcho = defineWorker({
  class: RubyJob.Echo,
  perform(args: unknown[], ctx) {
    record(RubyJob.Echo, args, ctx);
    if (args[0] === FAIL_ONCE) throw new InteropFailure(failOnceMessage(ctx.jid));
  },
});

/** Kiq's worker for `KiqInterop::Failing`: records, then always throws. */
const KiqFailing = defineWorker({
  class: RubyJob.Failing,
  perform(args: unknown[], ctx) {
    record(RubyJob.Failing, args, ctx);
    throw new InteropFailure(deadMessage(ctx.jid));
  },
});

/** One job Ruby pushed. */
interface Pushed {
  readonly what: string;
  readonly jid: string;
  readonly push: RubyPush;
  /** Ruby's push finished, epoch s. */
  readonly pushedSec: number;
}

/** A `RetrySet`/`DeadSet` entry as Sidekiq's Ruby API reads it (see INSPECT_SETS). */
interface RubyEntry {
  readonly value: string;
  readonly score: number;
  readonly at: number;
  readonly jid: string;
  readonly klass: string;
  readonly display_class: string;
  readonly args: unknown[];
  readonly display_args: unknown[];
  readonly queue: string;
  readonly error: boolean;
  readonly error_class: string;
  readonly error_message: string;
  readonly retry: unknown;
  readonly retry_count: unknown;
  readonly failed_at_class: string;
  readonly failed_at: number | null;
  readonly retried_at: unknown;
  readonly error_backtrace: unknown;
  readonly tags: unknown;
  readonly bid: unknown;
  readonly backtrace: unknown;
  readonly created_at: number;
  readonly enqueued_at: number | null;
  readonly redumped_identical: boolean;
  readonly found_by_jid: string | null;
  readonly fetched_by_score: string[];
}

interface RubySets {
  readonly retry_size: number;
  readonly dead_size: number;
  readonly stats: { readonly retry_size: number; readonly dead_size: number; readonly failed: number; readonly processed: number };
  readonly retries: RubyEntry[];
  readonly dead: RubyEntry[];
}

/** Everything Sidekiq's API says about the retry and dead sets. */
const INSPECT_SETS = `
describe = lambda do |set, e|
  {
    "value" => e.value, "score" => e.score, "at" => e.at.to_f,
    "jid" => e.jid, "klass" => e.klass, "display_class" => e.display_class,
    "args" => e.args, "display_args" => e.display_args, "queue" => e.queue,
    "error" => e.error?, "error_class" => e["error_class"], "error_message" => e["error_message"],
    "retry" => e["retry"], "retry_count" => e["retry_count"],
    "failed_at_class" => e["failed_at"].class.name,
    "failed_at" => e["failed_at"] && Time.at(e["failed_at"]).to_f,
    "retried_at" => e["retried_at"],
    "error_backtrace" => e.error_backtrace,
    "tags" => e.tags, "bid" => e["bid"], "backtrace" => e["backtrace"],
    "created_at" => e.created_at.to_f, "enqueued_at" => e.enqueued_at&.to_f,
    "redumped_identical" => Sidekiq.dump_json(e.item) == e.value,
    "found_by_jid" => set.find_job(e.jid)&.jid,
    "fetched_by_score" => set.fetch(e.score, e.jid).map(&:jid)
  }
end
retries = Sidekiq::RetrySet.new
dead = Sidekiq::DeadSet.new
stats = Sidekiq::Stats.new
{
  "retry_size" => retries.size, "dead_size" => dead.size,
  "stats" => { "retry_size" => stats.retry_size, "dead_size" => stats.dead_size, "failed" => stats.failed, "processed" => stats.processed },
  "retries" => retries.map { |e| describe.(retries, e) },
  "dead" => dead.map { |e| describe.(dead, e) }
}
`;

interface WebPage {
  readonly path: string;
  readonly status?: number;
  readonly error?: string;
  readonly includes: Record<string, boolean>;
}

/**
 * Renders Sidekiq's Web UI in-process (Rack::MockRequest): the Retries and
 * Dead lists and each entry's page (addressed as Sidekiq does, `score-jid`),
 * and says whether each page contains the jid, the error class, the
 * HTML-escaped error message and (entry pages) the first backtrace line.
 */
const RENDER_WEB_UI = `
${WEB_UI_APP}
r = Sidekiq::RetrySet.new.first
d = Sidekiq::DeadSet.new.first
pages = [["/retries", r, false], ["/retries/#{r.score}-#{r.jid}", r, true], ["/morgue", d, false], ["/morgue/#{d.score}-#{d.jid}", d, true]]
pages.map do |path, e, detail|
  begin
    res = Rack::MockRequest.new(app).get(path)
    body = res.body.dup.force_encoding(Encoding::UTF_8)
    needles = { "jid" => e.jid, "error_class" => e["error_class"], "error_message" => Rack::Utils.escape_html(e["error_message"]) }
    needles["backtrace"] = e.error_backtrace.first if detail
    { "path" => path, "status" => res.status, "includes" => needles.transform_values { |n| body.include?(n) } }
  rescue Exception => ex
    { "path" => path, "error" => "#{ex.class}: #{ex.message}", "includes" => {} }
  end
end
`;

/** Makes the retry entry due now with Sidekiq's own `SortedEntry#reschedule`. */
const RESCHEDULE_NOW = `
set = Sidekiq::RetrySet.new
e = set.find_job(INPUT["jid"])
raise "no retry entry #{INPUT["jid"]}" unless e
now = Time.now.to_f
e.reschedule(now)
{ "now" => now, "size" => set.size, "scores" => set.map(&:score), "jids" => set.map(&:jid) }
`;

/** What the scenario observed; the `it`s assert on it. */
interface Observed {
  readonly pushed: readonly Pushed[];
  readonly byWhat: (what: string) => Pushed;
  readonly kiqLog: readonly string[];
  readonly kiqStartSec: number;
  readonly kiqStopSec: number;
  /** Redis right after Ruby's pushes, before Kiq started. */
  readonly beforeKiq: {
    readonly queued: string[];
    readonly schedule: { member: string; score: number }[];
  };
  readonly attempts: readonly KiqAttempt[];
  /** Redis right after Kiq stopped. */
  readonly afterKiq: {
    readonly queueLength: number;
    readonly privateLength: number;
    readonly privateExists: number;
    readonly schedule: number;
    readonly retry: { member: string; score: number }[];
    readonly dead: { member: string; score: number }[];
    readonly rubyPerformed: number;
    /** `stat:*` keys (Sidekiq's processed/failed counters). */
    readonly statKeys: string[];
  };
  readonly sets: RubySets;
  readonly web: WebPage[];
  readonly rescheduled: { now: number; size: number; scores: number[]; jids: string[] };
  readonly run: SidekiqRun;
  readonly rubyPerformed: PerformedJob[];
  readonly afterRuby: {
    readonly retry: number;
    readonly dead: number;
    readonly schedule: number;
    readonly queueLength: number;
  };
}

describe('real Ruby Sidekiq 6.4 → Kiq (jobs pushed by Sidekiq::Client, performed by Kiq; retries and dead read by Sidekiq)', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const rec = recordScenario(redis, scenario);

  it('Ruby wrote the jobs where Sidekiq does: immediate on queue:default, scheduled in schedule at their `at`', () => {
    const { pushed, beforeKiq } = rec();
    const scheduled = pushed.filter((p) => p.push.at !== undefined);
    const immediate = pushed.filter((p) => p.push.at === undefined);
    expect(beforeKiq.queued.map((raw) => (JSON.parse(raw) as { jid: string }).jid).sort()).to.deep.equal(immediate.map((p) => p.jid).sort());
    expect(beforeKiq.schedule).to.have.length(scheduled.length);
    for (const p of scheduled) {
      const entry = beforeKiq.schedule.find((s) => (JSON.parse(s.member) as { jid: string }).jid === p.jid);
      expect(entry, p.what).to.not.equal(undefined);
      expect(entry!.score, p.what).to.be.closeTo(p.push.at!, 1e-6);
    }
  });

  it('Kiq performed every pushed jid exactly once (the failing ones once each too), and warned only about the two failures', () => {
    const counts = new Map<string, number>();
    for (const a of rec().attempts) counts.set(a.jid, (counts.get(a.jid) ?? 0) + 1);
    for (const p of rec().pushed) expect(counts.get(p.jid), `${p.what} ${p.jid}`).to.equal(1);
    expect(rec().attempts).to.have.length(rec().pushed.length);
    expect(rec().afterKiq.rubyPerformed, 'nothing ran in Ruby while Kiq ran').to.equal(0);
    // the two failures are reported (warn); nothing else may be
    const unexpected = rec().kiqLog.filter((line) => {
      if (line.startsWith('info ')) return false;
      if (!line.startsWith('warn ')) return true;
      const { event, jid, outcome } = JSON.parse(line.slice(5)) as { event?: string; jid?: string; outcome?: string };
      return !(event === 'job_failure' && outcome === 'retry' && jid === rec().byWhat('fail once').jid) && !(event === 'job_failure' && outcome === 'dead' && jid === rec().byWhat('retry: 0').jid);
    });
    expect(unexpected, 'Kiq logged unexpected warnings or errors').to.deep.equal([]);
    expect(rec().kiqLog.filter((line) => line.startsWith('warn ')), 'one warning per failure').to.have.length(2);
  });

  it('the Node worker got the exact args Ruby pushed (unicode, nested, null/bool, control chars), class, queue, jid', () => {
    for (const p of rec().pushed) {
      const a = rec().attempts.find((x) => x.jid === p.jid)!;
      expect(a.class, p.what).to.equal(p.push.class);
      expect(a.args, p.what).to.deep.equal(p.push.args);
      expect(a.job.args, p.what).to.deep.equal(p.push.args);
      expect(a.queue, p.what).to.equal(QUEUE);
      expect(a.job.queue, p.what).to.equal(QUEUE);
      expect(a.job.class, p.what).to.equal(p.push.class);
      expect(a.job.jid, p.what).to.equal(p.jid);
      expect(a.retryCount, p.what).to.equal(0);
      expect(a.job.retry_count, p.what).to.equal(undefined);
      expect(a.job.retry, p.what).to.equal(p.push.retry ?? true);
      expect(a.job.created_at, `${p.what} created_at`).to.be.a('number').within(rec().pushed[0]!.pushedSec - 5, p.pushedSec + 0.001);
      expect(a.job, `${p.what}: Ruby's at is a score, never a payload key`).to.not.have.property('at');
    }
  });

  it('extra keys (tags, bid, backtrace) reach the Node worker through ctx.job unchanged', () => {
    const withExtras = rec().pushed.filter((p) => p.push.extra !== undefined);
    expect(withExtras.length).to.be.at.least(3);
    for (const p of withExtras) {
      const a = rec().attempts.find((x) => x.jid === p.jid)!;
      for (const [key, value] of Object.entries(p.push.extra!)) expect(a.job[key], `${p.what} ${key}`).to.deep.equal(value);
    }
  });

  it('scheduled jobs ran in Kiq no earlier than their score, with a fresh enqueued_at', () => {
    for (const p of rec().pushed.filter((x) => x.push.at !== undefined)) {
      const a = rec().attempts.find((x) => x.jid === p.jid)!;
      expect(a.atMs / 1000, p.what).to.be.at.least(p.push.at!);
      expect(a.job.enqueued_at, `${p.what} enqueued_at`).to.be.a('number').at.least(p.push.at!);
    }
  });

  it('Kiq left nothing in flight: queue, private list and schedule empty; one retry, one dead', () => {
    const { afterKiq } = rec();
    expect(afterKiq.queueLength, 'LLEN queue:default').to.equal(0);
    expect(afterKiq.privateLength, 'LLEN private list').to.equal(0);
    expect(afterKiq.privateExists, 'private list key').to.equal(0);
    expect(afterKiq.schedule, 'ZCARD schedule').to.equal(0);
    expect(afterKiq.retry.map((r) => (JSON.parse(r.member) as { jid: string }).jid)).to.deep.equal([rec().byWhat('fail once').jid]);
    expect(afterKiq.dead.map((r) => (JSON.parse(r.member) as { jid: string }).jid)).to.deep.equal([rec().byWhat('retry: 0').jid]);
  });

  it("the retry member is Ruby's fetched payload, byte for byte, with Sidekiq's failure fields appended", () => {
    const { afterKiq, beforeKiq } = rec();
    const jid = rec().byWhat('fail once').jid;
    const pushedRaw = beforeKiq.queued.find((raw) => (JSON.parse(raw) as { jid: string }).jid === jid)!;
    const [retry] = afterKiq.retry;
    expect(retry!.member.startsWith(`${pushedRaw.slice(0, -1)},"error_message":`), retry!.member).to.equal(true);
    const failed = JSON.parse(retry!.member) as Record<string, unknown>;
    expect(Object.keys(failed).slice(-5)).to.deep.equal(['error_message', 'error_class', 'failed_at', 'retry_count', 'error_backtrace']);
    const delay = retry!.score - (failed.failed_at as number);
    expect(delay, 'first retry: 15 s + rand(10) * 1').to.be.within(15, 24.001);
  });

  it("Sidekiq::RetrySet reads Kiq's retry: jid, klass, args, error fields, retry_count 0, failed_at, at == score", () => {
    const { sets, afterKiq } = rec();
    const p = rec().byWhat('fail once');
    expect(sets.retry_size).to.equal(1);
    expect(sets.stats.retry_size).to.equal(1);
    const [e] = sets.retries;
    expect(e!.jid).to.equal(p.jid);
    expect(e!.klass).to.equal(RubyJob.Echo);
    expect(e!.display_class).to.equal(RubyJob.Echo);
    expect(e!.args).to.deep.equal(p.push.args);
    expect(e!.display_args).to.deep.equal(p.push.args);
    expect(e!.queue).to.equal(QUEUE);
    expect(e!.error).to.equal(true);
    expect(e!.error_class).to.equal('InteropFailure');
    expect(e!.error_message).to.equal(failOnceMessage(p.jid));
    expect(e!.retry).to.equal(true);
    expect(e!.retry_count).to.equal(0);
    expect(e!.retried_at).to.equal(null);
    expect(e!.failed_at_class, 'failed_at must be a Ruby Float (seconds)').to.equal('Float');
    expect(e!.failed_at).to.be.a('number').within(rec().kiqStartSec, rec().kiqStopSec);
    expect(e!.score).to.equal(afterKiq.retry[0]!.score);
    expect(e!.at, 'SortedEntry#at').to.equal(afterKiq.retry[0]!.score);
    expect(e!.found_by_jid, 'RetrySet#find_job').to.equal(p.jid);
    expect(e!.fetched_by_score, 'RetrySet#fetch(score, jid), as the Web UI addresses entries').to.deep.equal([p.jid]);
    expect(e!.created_at).to.be.within(rec().pushed[0]!.pushedSec - 5, p.pushedSec);
  });

  it('Sidekiq decodes error_backtrace (backtrace: true) with SortedEntry#error_backtrace; tags and bid are kept', () => {
    const [e] = rec().sets.retries;
    expect(e!.backtrace).to.equal(true);
    expect(e!.error_backtrace).to.be.an('array').that.is.not.empty;
    const lines = e!.error_backtrace as unknown[];
    for (const line of lines) expect(line).to.be.a('string');
    expect(lines[0], 'the first frame is the worker, in this file').to.include(THIS_FILE);
    expect(e!.tags, 'JobRecord#tags').to.deep.equal(EXTRAS.tags);
    expect(e!.bid).to.equal(EXTRAS.bid);
  });

  it("Sidekiq re-dumps Kiq's retry member to the same bytes (what SortedEntry#reschedule relies on)", () => {
    for (const e of [...rec().sets.retries, ...rec().sets.dead]) expect(e.redumped_identical, `${e.klass} ${e.jid}`).to.equal(true);
  });

  it("Sidekiq::DeadSet holds the retry: 0 job Kiq killed, with error fields the API reads", () => {
    const { sets, afterKiq } = rec();
    const p = rec().byWhat('retry: 0');
    expect(sets.dead_size).to.equal(1);
    expect(sets.stats.dead_size).to.equal(1);
    const [e] = sets.dead;
    expect(e!.jid).to.equal(p.jid);
    expect(e!.klass).to.equal(RubyJob.Failing);
    expect(e!.args).to.deep.equal(p.push.args);
    expect(e!.error).to.equal(true);
    expect(e!.error_class).to.equal('InteropFailure');
    expect(e!.error_message).to.equal(deadMessage(p.jid));
    expect(e!.retry).to.equal(0);
    expect(e!.retry_count).to.equal(0);
    expect(e!.failed_at_class).to.equal('Float');
    expect(e!.failed_at).to.be.a('number').within(rec().kiqStartSec, rec().kiqStopSec);
    expect(e!.at).to.equal(afterKiq.dead[0]!.score);
    expect(e!.at, 'dead score is the moment it died').to.be.closeTo(e!.failed_at!, 1);
    expect(e!.found_by_jid).to.equal(p.jid);
    expect(e!.fetched_by_score).to.deep.equal([p.jid]);
    // backtrace: 3 keeps the first three frames, the first one the worker's
    const lines = e!.error_backtrace as string[];
    expect(lines).to.be.an('array').with.length.within(1, 3);
    expect(lines[0]).to.include(THIS_FILE);
  });

  // Kiq's heartbeat flushes the counters every beat and at stop (src/server/heartbeat.ts).
  it('Sidekiq::Stats counts what Kiq processed and its two failures', () => {
    expect(rec().afterKiq.statKeys).to.include.members(['stat:failed', 'stat:processed']);
    expect(rec().sets.stats.failed).to.equal(2);
    expect(rec().sets.stats.processed).to.equal(rec().pushed.length);
  });

  it("Sidekiq's Web UI renders the Retries and Dead pages and both entries (HTTP 200, jid, error, backtrace)", () => {
    expect(rec().web.map((page) => page.path.replace(/\/[\d.e+-]+-[0-9a-f]{24}$/, '/:key'))).to.deep.equal(['/retries', '/retries/:key', '/morgue', '/morgue/:key']);
    for (const page of rec().web) {
      expect(page.error, page.path).to.equal(undefined);
      expect(page.status, page.path).to.equal(200);
      for (const [needle, found] of Object.entries(page.includes)) expect(found, `${page.path} shows ${needle}`).to.equal(true);
    }
  });

  it('a real Ruby Sidekiq server performs the retry once it is due (reschedule to now), with retry_count 0', () => {
    const { rescheduled, run, rubyPerformed, afterRuby } = rec();
    const p = rec().byWhat('fail once');
    expect(rescheduled.size, 'reschedule moved the entry instead of adding a copy').to.equal(1);
    expect(rescheduled.jids).to.deep.equal([p.jid]);
    expect(rescheduled.scores[0]).to.be.closeTo(rescheduled.now, 0.001);
    expect(run.conditionMet, run.log).to.equal(true);
    expect(run.exitCode, run.log).to.equal(0);
    expect(run.killed, run.log).to.equal(false);
    expect(rubyPerformed, run.log).to.have.length(1);
    const [done] = rubyPerformed;
    expect(done!.jid).to.equal(p.jid);
    expect(done!.class).to.equal(RubyJob.Echo);
    expect(done!.args).to.deep.equal(p.push.args);
    expect(done!.queue).to.equal(QUEUE);
    expect(done!.retry_count).to.equal(0);
    expect(done!.created_at).to.equal(rec().attempts.find((a) => a.jid === p.jid)!.job.created_at);
    expect(done!.enqueued_at, "Sidekiq's poller pushed it after it came due").to.be.at.least(rescheduled.now);
    expect(afterRuby.retry, 'ZCARD retry').to.equal(0);
    expect(afterRuby.dead, 'ZCARD dead (untouched)').to.equal(1);
    expect(afterRuby.schedule, 'ZCARD schedule').to.equal(0);
    expect(afterRuby.queueLength, 'LLEN queue:default').to.equal(0);
  });
});

/**
 * Push every job with Ruby, run Kiq until each was attempted and the two
 * failures are settled, stop Kiq, read the sets with Sidekiq's API and Web
 * UI, reschedule the retry to now with Sidekiq's API, then run Ruby Sidekiq
 * until it has performed it.
 */
async function scenario(redis: TestRedis, onKiq: (kiq: Kiq) => void): Promise<Observed> {
  const client = redis.client;
  await client.flushdb();
  attempts.length = 0;

  const nowSec = Date.now() / 1000;
  const jobs: { what: string; push: RubyPush }[] = [
    { what: 'immediate plain', push: { queue: QUEUE, class: RubyJob.Echo, args: [1, -2.5, 'two', { three: [3, null, true, false] }, [], {}] } },
    {
      what: 'immediate unicode',
      push: {
        queue: QUEUE,
        class: RubyJob.Echo,
        args: ['héllo wörld', '日本語のテキスト', '🎉 👩‍👩‍👧‍👦 🇯🇵', { 'ключ': ['значение', 1.5], '鍵': { '🔑': '値' } }, 'quote " backslash \\ slash / tab\t nl\n', 'ls\u2028ps\u2029', 9007199254740991],
      },
    },
    { what: 'immediate with extras', push: { queue: QUEUE, class: RubyJob.Echo, args: ['extras', 'ü'], extra: EXTRAS } },
    { what: 'scheduled in 1 s', push: { queue: QUEUE, class: RubyJob.Echo, args: ['scheduled', '⏰'], at: nowSec + 1 } },
    { what: 'scheduled in 2 s with extras', push: { queue: QUEUE, class: RubyJob.Echo, args: ['scheduled extras', { n: 2 }], at: nowSec + 2, extra: EXTRAS } },
    { what: 'fail once', push: { queue: QUEUE, class: RubyJob.Echo, args: [FAIL_ONCE, 'ünïcode ✓', { n: 1 }], extra: EXTRAS } },
    { what: 'retry: 0', push: { queue: QUEUE, class: RubyJob.Failing, args: ['will-die', '💀'], retry: 0, extra: { backtrace: 3 } } },
  ];
  // one Ruby process per push, concurrently (order does not matter here)
  const pushed: Pushed[] = await Promise.all(
    jobs.map(async ({ what, push }) => {
      const jid = await pushWithRuby(redis.url, push);
      return { what, jid, push, pushedSec: Date.now() / 1000 };
    }),
  );
  const byWhat = (what: string): Pushed => {
    const found = pushed.find((p) => p.what === what);
    if (!found) throw new Error(`no pushed job "${what}"`);
    return found;
  };
  const beforeKiq = {
    queued: await client.lrange(`queue:${QUEUE}`, 0, -1),
    schedule: pairs(await client.zrange('schedule', '0', '-1', 'WITHSCORES')),
  };

  const kiqLog: string[] = [];
  const logger = {
    info: (m: string) => void kiqLog.push(`info ${m}`),
    warn: (m: string) => void kiqLog.push(`warn ${m}`),
    error: (m: string) => void kiqLog.push(`error ${m}`),
  };
  const kiq = new Kiq({ redisUrl: redis.url, queues: { [QUEUE]: 5 }, workers: [KiqEcho, KiqFailing], fetchInterval: 50, pollInterval: 100, logger });
  onKiq(kiq);
  const kiqStartSec = Date.now() / 1000;
  await kiq.start();
  const privateList = `queue:sq|${kiq.identity}|${QUEUE}`;
  const wanted = pushed.map((p) => p.jid);
  await until(
    async () =>
      wanted.every((jid) => attempts.some((a) => a.jid === jid)) &&
      (await client.zcard('retry')) === 1 &&
      (await client.zcard('dead')) === 1 &&
      (await client.llen(privateList)) === 0,
    15_000,
    'Kiq to perform every pushed job and settle the two failures',
    20,
  );
  await kiq.stop();
  const kiqStopSec = Date.now() / 1000;

  const afterKiq = {
    queueLength: await client.llen(`queue:${QUEUE}`),
    privateLength: await client.llen(privateList),
    privateExists: await client.exists(privateList),
    schedule: await client.zcard('schedule'),
    retry: pairs(await client.zrange('retry', '0', '-1', 'WITHSCORES')),
    dead: pairs(await client.zrange('dead', '0', '-1', 'WITHSCORES')),
    rubyPerformed: (await performedJobs(client)).length,
    statKeys: (await client.keys('stat:*')).sort(),
  };

  const [sets, web] = await Promise.all([rubyInspect<RubySets>(redis.url, INSPECT_SETS), rubyInspect<WebPage[]>(redis.url, RENDER_WEB_UI)]);

  const failOnce = byWhat('fail once');
  const rescheduled = await rubyInspect<Observed['rescheduled']>(redis.url, RESCHEDULE_NOW, { jid: failOnce.jid });
  const run = await runSidekiq({
    redisUrl: redis.url,
    queues: [QUEUE],
    until: async () => (await performedJobs(client)).some((p) => p.jid === failOnce.jid),
    timeoutMs: 15_000,
  });

  return {
    pushed,
    byWhat,
    kiqLog,
    kiqStartSec,
    kiqStopSec,
    beforeKiq,
    attempts: [...attempts],
    afterKiq,
    sets,
    web,
    rescheduled,
    run,
    rubyPerformed: await performedJobs(client),
    afterRuby: {
      retry: await client.zcard('retry'),
      dead: await client.zcard('dead'),
      schedule: await client.zcard('schedule'),
      queueLength: await queueLength(client),
    },
  };
}

function queueLength(client: Redis): Promise<number> {
  return client.llen(`queue:${QUEUE}`);
}

/** `[member, score, member, score, …]` → pairs. */
function pairs(flat: string[]): { member: string; score: number }[] {
  const out: { member: string; score: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}
