/**
 * Interop, admin API: `kiq/admin` on what the real Ruby Sidekiq 6.4
 * (Debian `ruby-sidekiq`) wrote, and Sidekiq's own API reading what the
 * Admin did. Ruby pushes jobs (two that fail with retries, one with
 * `retry: 0`, a slow one, two quick ones, one scheduled an hour ahead); a
 * real Sidekiq server runs them. While it runs, the Admin sees the server's
 * heartbeat and its busy job, and quiets it through Redis (the server
 * honours it). After it stopped, the Admin's stats and history equal
 * `Sidekiq::Stats` and `Stats::History`; then the Admin retries one retry,
 * kills the other, retries the dead job and adds the scheduled one to its
 * queue, and Sidekiq's API finds each where it should be, with the
 * `retry_count` its own "Retry now" would leave.
 *
 * As in the other interop files, one scenario runs in `before` and records
 * what it saw; each `it` checks one property of that record.
 */
import { hostname } from 'node:os';
import { expect } from 'chai';
import { Admin, type BusyJob, type HistoryDay, type ProcessInfo, type Stats } from '../../src/admin/index.js';
import { useRedis } from '../support/redis.js';
import { pushWithRuby, requireSidekiqOrSkip, rubyInspect, RubyJob, runSidekiq, type SidekiqRun } from './sidekiq.js';

/** What Sidekiq's API said about one job after the Admin moved it. */
interface RubyJobView {
  readonly queue: string | null;
  readonly retry_count: number | null;
  readonly in_retry: boolean;
  readonly in_dead: boolean;
  readonly in_schedule: boolean;
  readonly item: Record<string, unknown> | null;
}

/** Everything the scenario saw. */
interface Record_ {
  run: SidekiqRun;
  jids: { retryA: string; retryB: string; dead: string; slow: string; scheduled: string };
  processes: ProcessInfo[];
  busy: BusyJob[];
  quietSeen: boolean;
  quietSent: string[];
  adminStats: Stats;
  rubyStats: Record<string, number>;
  adminHistory: HistoryDay[];
  rubyHistory: { processed: Record<string, number>; failed: Record<string, number> };
  originalRetryA: Record<string, unknown>;
  moves: { retried: number; killed: number; deadRetried: number; scheduledAdded: number };
  after: Record<string, RubyJobView>;
}

const RUBY_STATS = `s = Sidekiq::Stats.new
{ "processed" => s.processed, "failed" => s.failed, "enqueued" => s.enqueued, "scheduled" => s.scheduled_size,
  "retries" => s.retry_size, "dead" => s.dead_size, "processes" => s.processes_size }`;

const RUBY_HISTORY = 'h = Sidekiq::Stats::History.new(7); { "processed" => h.processed, "failed" => h.failed }';

const RUBY_FIND = `INPUT.to_h do |name, jid|
  queued = Sidekiq::Queue.all.lazy.map { |q| q.find_job(jid) }.find(&:itself)
  [name, { "queue" => queued&.queue, "retry_count" => queued&.item&.fetch("retry_count", nil), "item" => queued&.item,
           "in_retry" => !Sidekiq::RetrySet.new.find_job(jid).nil?, "in_dead" => !Sidekiq::DeadSet.new.find_job(jid).nil?,
           "in_schedule" => !Sidekiq::ScheduledSet.new.find_job(jid).nil? }]
end`;

describe('Interop: kiq/admin on the real Ruby Sidekiq 6.4', function () {
  this.timeout(120_000);
  const redis = useRedis();
  let record: Record_;

  before(async function () {
    requireSidekiqOrSkip(this);
    await redis.client.flushdb();
    const admin = new Admin({ redisUrl: redis.url });
    try {
      const push = (job: Parameters<typeof pushWithRuby>[1]) => pushWithRuby(redis.url, job);
      const jids = {
        retryA: await push({ queue: 'default', class: RubyJob.Failing, args: ['a'], retry: true }),
        retryB: await push({ queue: 'default', class: RubyJob.Failing, args: ['b'], retry: true }),
        dead: await push({ queue: 'default', class: RubyJob.Failing, args: ['dies'], retry: 0 }),
        slow: await push({ queue: 'low', class: RubyJob.Slow, args: [8] }), // long enough for a 5 s beat to list it
        scheduled: await push({ queue: 'default', class: RubyJob.Echo, args: ['later'], at: Date.now() / 1000 + 3600 }),
      };
      await push({ queue: 'default', class: RubyJob.Echo, args: [1] });
      await push({ queue: 'default', class: RubyJob.Echo, args: [2] });

      let processes: ProcessInfo[] = [];
      let busy: BusyJob[] = [];
      let quietSent: string[] = [];
      let quietSeen = false;
      const run = await runSidekiq({
        redisUrl: redis.url,
        queues: ['default', 'low'],
        timeoutMs: 60_000,
        // no poll during the run: the retries stay in 'retry' however long the quiet takes on a loaded machine
        env: { KIQ_INTEROP_POLL_INTERVAL: '600' },
        until: async () => {
          if (quietSent.length === 0) {
            const [retries, dead, running] = await Promise.all([admin.retries.size(), admin.dead.size(), admin.busy()]);
            if (retries < 2 || dead < 1 || !running.some((j) => j.jid === jids.slow)) return false;
            processes = await admin.processes();
            busy = running;
            quietSent = await admin.quiet(processes.map((p) => p.identity));
            return false;
          }
          quietSeen = (await admin.processes()).some((p) => p.quiet);
          return quietSeen;
        },
      });

      const adminStats = await admin.stats();
      const rubyStats = await rubyInspect<Record<string, number>>(redis.url, RUBY_STATS);
      const adminHistory = await admin.history(7);
      const rubyHistory = await rubyInspect<Record_['rubyHistory']>(redis.url, RUBY_HISTORY);

      const [retryA] = await admin.retries.find(jids.retryA);
      const moves = {
        retried: (await admin.retries.retry(jids.retryA)).moved.length,
        killed: (await admin.retries.kill(jids.retryB)).moved.length,
        deadRetried: (await admin.dead.retry(jids.dead)).moved.length,
        scheduledAdded: (await admin.scheduled.addToQueue(jids.scheduled)).moved.length,
      };
      const after = await rubyInspect<Record<string, RubyJobView>>(redis.url, RUBY_FIND, {
        retryA: jids.retryA,
        retryB: jids.retryB,
        dead: jids.dead,
        scheduled: jids.scheduled,
      });
      record = { run, jids, processes, busy, quietSeen, quietSent, adminStats, rubyStats, adminHistory, rubyHistory, originalRetryA: retryA!.job!, moves, after };
    } finally {
      await admin.close();
    }
  });

  it('sees the running Sidekiq process as ProcessSet does, and its busy job as Workers does', () => {
    expect(record.run.conditionMet, record.run.log).to.equal(true);
    expect(record.processes).to.have.length(1);
    const [process] = record.processes;
    expect(process).to.deep.include({ hostname: hostname(), concurrency: 5, quiet: false, leader: false });
    expect(process!.queues).to.deep.equal(['default', 'low']);
    expect(process!.busy).to.be.at.least(1);
    expect(process!.startedAt).to.be.closeTo(Date.now() / 1000, 120);
    const slow = record.busy.find((j) => j.jid === record.jids.slow);
    expect(slow, JSON.stringify(record.busy)).to.deep.include({ identity: process!.identity, queue: 'low', class: RubyJob.Slow, args: [8] });
  });

  it("quiet through the Admin: the real Sidekiq takes TSTP from Redis and beats quiet 'true'", () => {
    expect(record.quietSent).to.deep.equal([record.processes[0]!.identity]);
    expect(record.quietSeen).to.equal(true);
  });

  it('stats and history equal Sidekiq::Stats and Stats::History', () => {
    const { adminStats: a, rubyStats: r } = record;
    expect({ processed: a.processed, failed: a.failed, enqueued: a.enqueued, scheduled: a.scheduled, retries: a.retries, dead: a.dead, processes: a.processes }).to.deep.equal(r);
    expect(a.retries).to.equal(2);
    expect(a.dead).to.equal(1);
    const history = (days: HistoryDay[], field: 'processed' | 'failed') => Object.fromEntries(days.map((d) => [d.date, d[field]]));
    expect(history(record.adminHistory, 'processed')).to.deep.equal(record.rubyHistory.processed);
    expect(history(record.adminHistory, 'failed')).to.deep.equal(record.rubyHistory.failed);
    expect(Object.keys(record.rubyHistory.processed)).to.deep.equal(record.adminHistory.map((d) => d.date)); // same order, newest first
  });

  it('retry now: Sidekiq finds the job in its queue with retry_count - 1 (as its own SortedEntry#retry leaves it), the rest of the payload as it wrote it', () => {
    expect(record.moves).to.deep.equal({ retried: 1, killed: 1, deadRetried: 1, scheduledAdded: 1 });
    const view = record.after.retryA!;
    expect(view).to.deep.include({ queue: 'default', in_retry: false, in_dead: false });
    expect(view.retry_count).to.equal((record.originalRetryA.retry_count as number) - 1);
    const { enqueued_at: _a, retry_count: _b, ...rest } = view.item!;
    const { enqueued_at: _c, retry_count: _d, ...original } = record.originalRetryA;
    expect(rest).to.deep.equal(original);
  });

  it('kill: Sidekiq finds the job in its DeadSet and nowhere else; dead retry and add-to-queue land in the queue', () => {
    expect(record.after.retryB).to.deep.include({ queue: null, in_retry: false, in_dead: true });
    expect(record.after.dead).to.deep.include({ queue: 'default', in_dead: false });
    expect(record.after.scheduled).to.deep.include({ queue: 'default', in_schedule: false, retry_count: null });
  });
});
