/**
 * Kiq → Sidekiq: jobs enqueued by Kiq (immediate, scheduled 2 s ahead, a
 * unique duplicate pair, unicode and edge-case args, queue names with `-`
 * and `.`) are performed by the real Ruby Sidekiq 6.4 (Debian
 * `ruby-sidekiq`), and every jid runs exactly once with the args Kiq wrote.
 *
 * One scenario runs in `before` (enqueue with Kiq, flush, stop Kiq, run
 * Sidekiq until every expected jid has been performed) and records what
 * Redis held before and after; each `it` then checks one property of that
 * record, so one wire problem fails one test instead of hiding the others.
 * (`useRedis` flushes the database before every `it`: the tests read the
 * record, never Redis.)
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { defineWorker, Kiq, type Job, type PushReceipt } from '../../src/index.js';
import { useRedis, type TestRedis } from '../support/redis.js';
import { recordScenario } from './recorded-scenario.js';
import { PERFORMED_KEY, performedJobs, RubyJob, runSidekiq, type PerformedJob, type SidekiqRun } from './sidekiq.js';

const DASH_DOT = 'kiq-interop.dash-dot';
const WITH_DASH = 'with-dash';
const QUEUES = ['default', WITH_DASH, DASH_DOT] as const;
const SCHEDULE_IN_MS = 2_000;

/** The Ruby Echo class as a typed Kiq worker (Kiq never performs it here: `server: false`). */
const Echo = defineWorker({
  class: RubyJob.Echo,
  queue: WITH_DASH,
  perform(_args: unknown[]) {},
});

/**
 * Immediate jobs: every JSON shape that must survive JS `JSON.stringify` →
 * Ruby `JSON.parse` → Ruby `JSON.generate` → JS `JSON.parse` unchanged.
 */
const IMMEDIATE_ARGS: readonly unknown[][] = [
  [1, -2, 0, 42, 9007199254740991, -9007199254740991],
  [1.5, -0.25, 0.1, 3.14159, 1e-7, 6.02214076e23, 1.7976931348623157e308, 5e-324],
  [{ nested: { deeper: [1, { deepest: 'yes' }] }, list: [1, 'two', 3.5] }],
  [[], {}, [[]], [{}], { empty: [], none: {} }],
  [null, true, false, [null, true, false], { t: true, f: false, n: null }],
  ['héllo wörld', '日本語のテキスト', '中文字符', '한국어', '🎉 emoji 👩‍👩‍👧‍👦 🇯🇵', 'Ωμέγα', 'عربى'],
  [{ 'ключ': ['значение', 1.5, null, []], '鍵': { '🔑': '値' } }],
  ['quote " backslash \\ slash /', 'tab\tnewline\ncr\r', 'nul\u0000bell\u0007', 'ls\u2028ps\u2029', ''],
  [],
];

/** One job Kiq enqueued and Sidekiq must perform. */
interface Expected {
  readonly what: string;
  readonly jid: string;
  readonly queue: string;
  readonly args: readonly unknown[];
}

/** What the scenario observed; the `it`s assert on it. */
interface Observed {
  readonly expected: readonly Expected[];
  /** Kiq's log lines, `level message`. */
  readonly kiqLog: readonly string[];
  readonly scheduledJid: string;
  readonly first: PushReceipt;
  readonly duplicate: PushReceipt;
  readonly scheduledReceipt: PushReceipt;
  /** Wall clock (epoch s) just before the first enqueue and just after flush. */
  readonly enqueueStartSec: number;
  readonly flushedSec: number;
  readonly sidekiqEndSec: number;
  readonly before: {
    readonly queueLengths: Readonly<{ [queue: string]: number }>;
    readonly queues: string[];
    readonly schedule: { member: string; score: number }[];
    readonly queuedJids: string[];
  };
  readonly run: SidekiqRun;
  readonly performed: PerformedJob[];
  readonly performedRaw: string[];
  readonly after: {
    readonly retry: number;
    readonly dead: number;
    readonly schedule: number;
    readonly queueLengths: Readonly<{ [queue: string]: number }>;
    readonly processes: number;
    readonly processed: string | null;
    readonly failed: string | null;
  };
}

describe('Kiq → real Ruby Sidekiq 6.4 (jobs enqueued by Kiq, performed by Sidekiq)', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const rec = recordScenario(redis, scenario);

  it('Kiq wrote every job before Sidekiq started: the queues, the schedule, no duplicate', () => {
    const { before, expected, scheduledJid, duplicate } = rec();
    const immediate = expected.filter((e) => e.jid !== scheduledJid);
    for (const queue of QUEUES) {
      expect(before.queueLengths[queue], `queue:${queue}`).to.equal(immediate.filter((e) => e.queue === queue).length);
    }
    expect(before.queues.sort()).to.deep.equal([...QUEUES].sort());
    expect(before.queuedJids.sort()).to.deep.equal(immediate.map((e) => e.jid).sort());
    expect(before.schedule.map((s) => (JSON.parse(s.member) as Job).jid)).to.deep.equal([scheduledJid]);
    expect(before.queuedJids).to.not.include(duplicate.job.jid);
    expect(rec().kiqLog.filter((line) => !line.startsWith('info ')), 'Kiq logged warnings or errors').to.deep.equal([]);
  });

  it('Sidekiq performed every expected jid and shut down cleanly (exit 0, not killed)', () => {
    const { run, performed, expected } = rec();
    const missing = expected.filter((e) => !performed.some((p) => p.jid === e.jid));
    expect(missing.map((e) => `${e.what} ${e.jid}`), `not performed; Sidekiq's log:\n${run.log}`).to.deep.equal([]);
    expect(run.conditionMet, run.log).to.equal(true);
    expect(run.exitCode, run.log).to.equal(0);
    expect(run.signal, run.log).to.equal(null);
    expect(run.killed, run.log).to.equal(false);
    expect(rec().after.processes, 'Sidekiq left its process entry behind').to.equal(0);
  });

  it('every jid ran exactly once, and nothing else ran', () => {
    const { performed, expected } = rec();
    const counts = new Map<string, number>();
    for (const p of performed) counts.set(p.jid, (counts.get(p.jid) ?? 0) + 1);
    for (const e of expected) expect(counts.get(e.jid), `${e.what} ${e.jid}`).to.equal(1);
    expect(performed.map((p) => p.jid).sort()).to.deep.equal(expected.map((e) => e.jid).sort());
    // Sidekiq's own counters, flushed at exit (it writes stat:failed "0" when nothing failed).
    expect(rec().after.processed, 'stat:processed').to.equal(String(expected.length));
    expect(Number(rec().after.failed ?? 0), 'stat:failed').to.equal(0);
  });

  it('Ruby got the args Kiq enqueued (deep-equal after the Ruby JSON round trip), class and queue', () => {
    for (const e of rec().expected) {
      const done = rec().performed.find((p) => p.jid === e.jid);
      expect(done, `${e.what} ${e.jid}`).to.not.equal(undefined);
      expect(done!.class, e.what).to.equal(RubyJob.Echo);
      expect(done!.queue, e.what).to.equal(e.queue);
      expect(done!.args, e.what).to.deep.equal(e.args);
      expect(done!.retry_count, e.what).to.equal(null);
    }
  });

  it('the duplicate of a unique job was refused by Kiq and never ran', () => {
    const { first, duplicate, performed } = rec();
    expect(first.status).to.equal('enqueued');
    expect(duplicate.status).to.equal('duplicate');
    expect(duplicate.holder).to.equal(first.job.jid);
    expect(duplicate.job.jid).to.not.equal(first.job.jid);
    expect(performed.map((p) => p.jid)).to.not.include(duplicate.job.jid);
    expect(performed.filter((p) => p.jid === first.job.jid)).to.have.length(1);
  });

  it('the job scheduled 2 s ahead ran once, promoted by Sidekiq no earlier than its score', () => {
    const { scheduledReceipt, scheduledJid, before, performed, enqueueStartSec, flushedSec } = rec();
    expect(scheduledReceipt.status).to.equal('scheduled');
    const [entry] = before.schedule;
    expect(entry!.score).to.be.within(enqueueStartSec + SCHEDULE_IN_MS / 1000, flushedSec + SCHEDULE_IN_MS / 1000);
    const done = performed.find((p) => p.jid === scheduledJid);
    // enqueued_at of a promoted job is Sidekiq's own: the moment its poller pushed it.
    expect(done?.enqueued_at).to.be.a('number').at.least(entry!.score);
    expect(done?.created_at).to.be.a('number').within(enqueueStartSec - 1, flushedSec + 1);
  });

  it("Ruby read Kiq's created_at and enqueued_at as Float epoch seconds close to now", () => {
    const { expected, scheduledJid, performed, performedRaw, enqueueStartSec, flushedSec, sidekiqEndSec } = rec();
    for (const raw of performedRaw) {
      // Ruby's JSON.generate writes a Float with a decimal point and an Integer without one.
      expect(raw, 'created_at not a Ruby Float').to.match(/"created_at":-?\d+\.\d+(e[+-]?\d+)?[,}]/);
      expect(raw, 'enqueued_at not a Ruby Float').to.match(/"enqueued_at":-?\d+\.\d+(e[+-]?\d+)?[,}]/);
    }
    for (const e of expected) {
      const done = performed.find((p) => p.jid === e.jid);
      expect(done?.created_at, `${e.what} created_at`).to.be.a('number').within(enqueueStartSec - 1, flushedSec + 1);
      const enqueuedUpper = e.jid === scheduledJid ? sidekiqEndSec + 1 : flushedSec + 1;
      expect(done?.enqueued_at, `${e.what} enqueued_at`).to.be.a('number').within(enqueueStartSec - 1, enqueuedUpper);
    }
  });

  it('leaves nothing behind: no retry or dead entries, empty schedule and queues', () => {
    const { after } = rec();
    expect(after.retry, 'ZCARD retry').to.equal(0);
    expect(after.dead, 'ZCARD dead').to.equal(0);
    expect(after.schedule, 'ZCARD schedule').to.equal(0);
    for (const queue of QUEUES) expect(after.queueLengths[queue], `LLEN queue:${queue}`).to.equal(0);
  });
});

/**
 * Enqueue with one Kiq (`server: false`), flush, stop it, then run Sidekiq on
 * all three queues until every expected jid is in the performed list (30 s
 * at most), and record Redis before and after.
 */
async function scenario(redis: TestRedis, onKiq: (kiq: Kiq) => void): Promise<Observed> {
  const client = redis.client;
  await client.flushdb();

  const kiqLog: string[] = [];
  const logger = {
    info: (m: string) => void kiqLog.push(`info ${m}`),
    warn: (m: string) => void kiqLog.push(`warn ${m}`),
    error: (m: string) => void kiqLog.push(`error ${m}`),
  };
  const kiq = new Kiq({ redisUrl: redis.url, server: false, logger });
  onKiq(kiq);
  await kiq.start();

  const expected: Expected[] = [];
  const enqueueStartSec = Date.now() / 1000;

  for (const [i, args] of IMMEDIATE_ARGS.entries()) {
    const job = await kiq.enqueue({ class: RubyJob.Echo, args });
    expected.push({ what: `immediate #${i}`, jid: job.jid, queue: 'default', args: structuredClone(args) });
  }

  const dashArgs = ['worker form', { queue: WITH_DASH }, ['日本', '🎌']];
  const dashJob = await kiq.enqueue(Echo, dashArgs);
  expected.push({ what: `worker on ${WITH_DASH}`, jid: dashJob.jid, queue: WITH_DASH, args: structuredClone(dashArgs) });

  const dotArgs = ['plain form', 9007199254740991, { 'dot.key': 'dash-value' }];
  const dotJob = await kiq.enqueue({ class: RubyJob.Echo, queue: DASH_DOT, args: dotArgs });
  expected.push({ what: `plain on ${DASH_DOT}`, jid: dotJob.jid, queue: DASH_DOT, args: structuredClone(dotArgs) });

  const dotWorkerArgs = ['worker form, queue overridden', 2.5];
  const dotWorkerJob = await kiq.enqueue(Echo, dotWorkerArgs, { queue: DASH_DOT });
  expected.push({ what: `worker on ${DASH_DOT}`, jid: dotWorkerJob.jid, queue: DASH_DOT, args: structuredClone(dotWorkerArgs) });

  const scheduledArgs = ['scheduled', { in_ms: SCHEDULE_IN_MS }, '⏰'];
  const scheduledReceipt = await kiq.enqueue({ class: RubyJob.Echo, args: scheduledArgs }, { in: SCHEDULE_IN_MS, confirm: true });
  expected.push({ what: 'scheduled in 2 s', jid: scheduledReceipt.job.jid, queue: 'default', args: structuredClone(scheduledArgs) });

  const uniqueArgs = ['unique', 42, { same: ['args'] }];
  const uniqueJob = { class: RubyJob.Echo, queue: 'default', args: uniqueArgs };
  const first = await kiq.enqueue(uniqueJob, { uniqueFor: 60_000, confirm: true });
  const duplicate = await kiq.enqueue({ ...uniqueJob, args: [...uniqueArgs] }, { uniqueFor: 60_000, confirm: true });
  expected.push({ what: 'unique (first of the pair)', jid: first.job.jid, queue: 'default', args: structuredClone(uniqueArgs) });

  await kiq.flush();
  const flushedSec = Date.now() / 1000;
  await kiq.stop();

  const before = {
    queueLengths: await queueLengths(client),
    queues: await client.smembers('queues'),
    schedule: pairs(await client.zrange('schedule', '0', '-1', 'WITHSCORES')),
    queuedJids: (await Promise.all(QUEUES.map((q) => client.lrange(`queue:${q}`, 0, -1))))
      .flat()
      .map((raw) => (JSON.parse(raw) as Job).jid),
  };

  const wanted = new Set(expected.map((e) => e.jid));
  const run = await runSidekiq({
    redisUrl: redis.url,
    queues: QUEUES,
    until: async () => {
      const seen = new Set((await performedJobs(client)).map((p) => p.jid));
      for (const jid of wanted) if (!seen.has(jid)) return false;
      return true;
    },
    timeoutMs: 30_000,
  });
  const sidekiqEndSec = Date.now() / 1000;

  return {
    expected,
    kiqLog,
    scheduledJid: scheduledReceipt.job.jid,
    first,
    duplicate,
    scheduledReceipt,
    enqueueStartSec,
    flushedSec,
    sidekiqEndSec,
    before,
    run,
    performed: await performedJobs(client),
    performedRaw: await client.lrange(PERFORMED_KEY, 0, -1),
    after: {
      retry: await client.zcard('retry'),
      dead: await client.zcard('dead'),
      schedule: await client.zcard('schedule'),
      queueLengths: await queueLengths(client),
      processes: await client.scard('processes'),
      processed: await client.get('stat:processed'),
      failed: await client.get('stat:failed'),
    },
  };
}

async function queueLengths(client: Redis): Promise<{ [queue: string]: number }> {
  const lengths: { [queue: string]: number } = {};
  for (const queue of QUEUES) lengths[queue] = await client.llen(`queue:${queue}`);
  return lengths;
}

/** `[member, score, member, score, …]` → pairs. */
function pairs(flat: string[]): { member: string; score: number }[] {
  const out: { member: string; score: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}
