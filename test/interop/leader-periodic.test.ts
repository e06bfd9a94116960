/**
 * Interop, leader and periodic jobs (docs/sidekiq-contract.md §12, docs/architecture.md §2):
 * a Kiq server that won the election on `dear-leader` is the leader the real
 * Ruby Sidekiq 6.4 (Debian `ruby-sidekiq`) reports — `ProcessSet#leader`
 * and the Web UI Busy page's "leader" badge — and the periodic jobs it
 * enqueues for a Ruby worker class (one per cron occurrence, every second)
 * are performed by a real Sidekiq server, each once.
 *
 * As in the other interop files, one scenario runs in `before` and records
 * what it saw; each `it` checks one property of that record (`useRedis`
 * flushes the database before every `it`, so the `it`s never read Redis).
 * The rendered Busy page is printed once, as text, between `----- BEGIN`
 * and `----- END` lines.
 */
import { expect } from 'chai';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { Kiq } from '../../src/index.js';
import { silent } from '../support/logger.js';
import { useRedis, type TestRedis } from '../support/redis.js';
import { scanAll } from '../support/scan-all.js';
import { deferred, until } from '../support/wait.js';
import { recordScenario } from './recorded-scenario.js';
import {
  htmlToText,
  performedJobs,
  renderWebUi,
  rubyInspect,
  RubyJob,
  runSidekiq,
  type PerformedJob,
  type SidekiqRun,
  type WebUiPage,
} from './sidekiq.js';

/** A short lease, so the scenario outlives several renewals. */
const LEADER_TTL_MS = 1_000;
/** Every second (6-field cron, leading seconds). */
const EVERY_SECOND = '* * * * * *';
const PERIODIC_ARGS = ['from-kiq-cron'];
/** Periodic jobs to collect in queue:default before stopping Kiq. */
const MIN_PERIODIC = 2;

/** What Sidekiq's API says about processes and the leader. */
const LEADER_VIEW = `
ps = Sidekiq::ProcessSet.new
{
  "leader" => ps.leader,
  "identities" => ps.map(&:identity),
  "dear_leader" => Sidekiq.redis { |c| c.get("dear-leader") }
}
`;

interface LeaderView {
  readonly leader: string;
  readonly identities: string[];
  readonly dear_leader: string | null;
}

/** A `periodic_enqueue` log line of Kiq's. */
interface EnqueueLog {
  readonly class: string;
  readonly expression: string;
  readonly scheduled_at: number;
  readonly jid: string;
}

interface Observed {
  readonly identity: string;
  readonly leaderEvents: { identity: string; leader: boolean }[];
  readonly leaderAfterMs: number;
  readonly whileLeading: {
    readonly dearLeader: string | null;
    readonly pttl: number;
    readonly view: LeaderView;
    readonly busyPage: WebUiPage;
    readonly busyText: string;
  };
  /** Sampled when enough periodic jobs were queued, at least two lease lengths after winning. */
  readonly later: { readonly sinceLeaderMs: number; readonly dearLeader: string | null; readonly pttl: number };
  readonly afterStop: { readonly dearLeader: number; readonly rubyLeader: string };
  /** queue:default after Kiq stopped, parsed, oldest first. */
  readonly queued: Record<string, unknown>[];
  readonly kiqQueue: number;
  readonly enqueueLogs: EnqueueLog[];
  readonly enqueueFailures: string[];
  /** `periodic:<digest>:<T>` claim keys → value. */
  readonly claims: Map<string, string>;
  readonly run: SidekiqRun;
  readonly performed: PerformedJob[];
  readonly defaultAfterRun: number;
}

describe('Interop, leader and periodic jobs: Sidekiq 6.4 sees the Kiq leader; a Ruby worker performs Kiq’s periodic jobs', function () {
  this.timeout(60_000);
  const redis = useRedis();
  const rec = recordScenario(redis, scenario);

  it('the Kiq server wins the election on dear-leader (value = its identity, PTTL within leaderTtl) and announces it', () => {
    expect(rec().leaderEvents[0]).to.deep.equal({ identity: rec().identity, leader: true });
    expect(rec().leaderAfterMs, 'leader soon after start').to.be.below(LEADER_TTL_MS * 2);
    expect(rec().whileLeading.dearLeader).to.equal(rec().identity);
    expect(rec().whileLeading.pttl).to.be.within(1, LEADER_TTL_MS);
  });

  it('with a 1 s lease it keeps leading through renewals, and resigns (deletes dear-leader) when it stops', () => {
    expect(rec().later.sinceLeaderMs, 'sampled after at least two lease lengths').to.be.at.least(2 * LEADER_TTL_MS);
    expect(rec().later.dearLeader).to.equal(rec().identity);
    // the key was first set more than two lease lengths earlier with a 1 s TTL: it lives on only through renewals
    expect(rec().later.pttl).to.be.within(1, LEADER_TTL_MS);
    // became leader first, stepped down last (at stop); a loaded machine may stall the event loop past the
    // 1 s lease in between, and a leader that cannot renew in time steps down and claims again (by design)
    const changes = rec().leaderEvents.map((e) => e.leader);
    expect(changes[0]).to.equal(true);
    expect(changes.at(-1)).to.equal(false);
    expect(changes.every((leader, i) => leader === (i % 2 === 0)), `alternating: ${changes.join(', ')}`).to.equal(true);
    expect(rec().leaderEvents.every((e) => e.identity === rec().identity)).to.equal(true);
    if (changes.length > 2) console.warn(`leader-periodic: the 1 s lease lapsed ${changes.length / 2 - 1} time(s) under load before stop`);
    expect(rec().afterStop.dearLeader, 'dear-leader deleted at stop').to.equal(0);
    expect(rec().afterStop.rubyLeader, 'ProcessSet#leader after stop').to.equal('');
  });

  it("Sidekiq::ProcessSet.new.leader returns the Kiq identity, and Kiq is in the ProcessSet", () => {
    const { view } = rec().whileLeading;
    expect(view.leader).to.equal(rec().identity);
    expect(view.dear_leader).to.equal(rec().identity);
    expect(view.identities).to.deep.equal([rec().identity]);
  });

  it('the Web UI Busy page shows the leader badge next to the Kiq process', () => {
    const { busyPage, busyText } = rec().whileLeading;
    expect(busyPage.error, 'Busy raised').to.equal(undefined);
    expect(busyPage.status).to.equal(200);
    // busy.erb: `<% if process.identity == lead %><span class="label label-warning">leader</span>`
    expect(busyPage.html.match(/<span class="label label-warning">leader<\/span>/g), 'one leader badge').to.have.length(1);
    const name = `${process.env.DYNO || hostname()}:${process.pid}`;
    expect(busyText).to.match(new RegExp(`${escapeRegExp(name)} leader Queues: kiqonly `));
  });

  it('the leader enqueued one KiqInterop::Echo job per cron occurrence onto queue:default, which Kiq itself does not consume', () => {
    const { queued, enqueueLogs } = rec();
    expect(queued.length).to.be.at.least(MIN_PERIODIC);
    expect(rec().kiqQueue, 'queue:kiqonly untouched').to.equal(0);
    for (const job of queued) {
      expect(job).to.include({ class: RubyJob.Echo, queue: 'default', retry: true });
      expect(job.args).to.deep.equal(PERIODIC_ARGS);
    }
    const jids = queued.map((job) => job.jid as string);
    expect(new Set(jids).size, 'distinct jids').to.equal(jids.length);
    // one log line per job, each for its own occurrence (whole seconds)
    expect(enqueueLogs.map((l) => l.jid).sort()).to.deep.equal([...jids].sort());
    const occurrences = enqueueLogs.map((l) => l.scheduled_at);
    expect(new Set(occurrences).size, 'distinct occurrences').to.equal(occurrences.length);
    for (const log of enqueueLogs) {
      expect(log).to.include({ class: RubyJob.Echo, expression: EVERY_SECOND });
      expect(Number.isInteger(log.scheduled_at), `occurrence ${log.scheduled_at} on a whole second`).to.equal(true);
      expect(rec().claims.get(String(log.scheduled_at)), `claim of ${log.scheduled_at}`).to.equal(rec().identity);
    }
    // a claim without a job can only be an occurrence claimed while stop() ran (a known bug, asserted in
    // the skipped test below); nothing failed or was missed otherwise
    const lostAtStop = rec().enqueueFailures.filter((line) => line.includes('"event":"periodic_enqueue_failed"') && line.includes('kiq is stopping'));
    expect(rec().enqueueFailures.length - lostAtStop.length, rec().enqueueFailures.join('\n')).to.equal(0);
    expect(lostAtStop.length, 'at most the one occurrence in flight at stop').to.be.at.most(1);
    expect(rec().claims.size, 'one claim per enqueued occurrence (+ one lost at stop)').to.equal(enqueueLogs.length + lostAtStop.length);
    // created_at: the enqueue time, within the second of its occurrence
    const bySched = new Map(enqueueLogs.map((l) => [l.jid, l.scheduled_at]));
    for (const job of queued) {
      const at = bySched.get(job.jid as string)!;
      expect(job.created_at as number, `created_at of ${String(job.jid)}`).to.be.within(at, at + 1);
    }
  });

  it('the real Ruby Sidekiq server performs each periodic job exactly once, with its args, one created_at second per occurrence', () => {
    const { run, performed, queued } = rec();
    expect(run.conditionMet, run.log).to.equal(true);
    expect(run.exitCode, run.log).to.equal(0);
    expect(performed.map((p) => p.jid).sort(), 'each queued job performed once').to.deep.equal(queued.map((job) => job.jid as string).sort());
    for (const job of performed) {
      expect(job.class).to.equal(RubyJob.Echo);
      expect(job.queue).to.equal('default');
      expect(job.args).to.deep.equal(PERIODIC_ARGS);
      expect(job.retry_count).to.equal(null);
    }
    expect(new Set(performed.map((p) => p.jid)).size).to.equal(performed.length);
    const seconds = performed.map((p) => Math.floor(p.created_at));
    expect(new Set(seconds).size, `created_at seconds ${seconds.join(', ')}`).to.equal(performed.length);
    expect(rec().defaultAfterRun, 'queue:default drained').to.equal(0);
  });
});

describe('Periodic jobs while the leader stops', function () {
  this.timeout(15_000);
  const redis = useRedis();

  // The `periodic` ticker finishes its tick on shutdown; an occurrence whose claim was in flight
  // when stop() began must still be enqueued (the claim blocks every other process for 5 min).
  // Enqueues from the tree are accepted while stopping: the Flusher's final flush runs later.
  it('an occurrence claimed while stop() runs is still enqueued', async () => {
    const logger = silent();
    const kiq = new Kiq({
      redisUrl: redis.url,
      queues: { kiqonly: 1 },
      periodics: [[EVERY_SECOND, RubyJob.Echo, { args: PERIODIC_ARGS }]],
      fetchInterval: 50,
      logger,
    });
    try {
      await kiq.start();
      // leading, cursors set: one occurrence went through
      await until(async () => (await redis.client.llen('queue:default')) >= 1, 5_000, 'a first periodic job');
      // stall Redis for 300 ms across the next second boundary, so the tick's claim is in flight when stop() begins
      await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) - 50));
      const stall = redis.client.eval(
        "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] repeat local n = redis.call('TIME') if n[1] * 1000000 + n[2] - s > 300000 then break end until false return 1",
        0,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await kiq.stop();
      await stall;
    } finally {
      await kiq.stop().catch(() => undefined);
    }
    const claims = await periodicClaims(redis.client);
    const queued = await redis.client.llen('queue:default');
    expect(logger.lines.filter((line) => line.includes('periodic_enqueue_failed'))).to.deep.equal([]);
    expect(queued, 'every claimed occurrence is on queue:default').to.equal(claims.size);
  });
});

/**
 * Start a Kiq server (leaderTtl 1 s, queue `kiqonly`, a per-second periodic
 * entry for the Ruby class `KiqInterop::Echo`), wait until it leads, read
 * Sidekiq's view and Busy page, collect periodic jobs, stop it, then let the
 * real Sidekiq perform them.
 */
async function scenario(redis: TestRedis, onKiq: (kiq: Kiq) => void): Promise<Observed> {
  const client = redis.client;
  await client.flushdb();
  const logger = silent();
  const kiq = new Kiq({
    redisUrl: redis.url,
    queues: { kiqonly: 1 },
    leaderTtl: LEADER_TTL_MS,
    periodics: [[EVERY_SECOND, RubyJob.Echo, { args: PERIODIC_ARGS }]],
    fetchInterval: 50,
    logger,
  });
  onKiq(kiq);
  const identity = kiq.identity;
  const leaderEvents: { identity: string; leader: boolean }[] = [];
  const leading = deferred(10_000, 'the Kiq server to become leader');
  let leaderAt = 0;
  kiq.on('leader', (event) => {
    leaderEvents.push({ ...event });
    if (event.leader) {
      leaderAt = Date.now();
      leading.resolve();
    }
  });
  const startedAt = Date.now();
  await kiq.start();
  await leading.promise;
  const leaderAfterMs = leaderAt - startedAt;

  // --- while leading: Redis, Sidekiq's API and the Busy page
  const [dearLeader, pttl] = await Promise.all([client.get('dear-leader'), client.pttl('dear-leader')]);
  const [view, [busyPage]] = await Promise.all([rubyInspect<LeaderView>(redis.url, LEADER_VIEW), renderWebUi(redis.url, ['/busy'])]);
  const busyText = htmlToText(busyPage!.html);
  console.log(`\n----- BEGIN Sidekiq 6.4 Web UI /busy (HTTP ${busyPage!.status ?? busyPage!.error}) with the Kiq process as leader, as text -----\n${busyText}\n----- END /busy -----\n`);

  // --- periodic jobs pile up on queue:default (nobody consumes it)
  await until(
    async () => (await client.llen('queue:default')) >= MIN_PERIODIC && Date.now() - leaderAt >= 2 * LEADER_TTL_MS,
    10_000,
    `${MIN_PERIODIC} periodic jobs on queue:default`,
    50,
  );
  const [laterLeader, laterPttl] = await Promise.all([client.get('dear-leader'), client.pttl('dear-leader')]);
  const later = { sinceLeaderMs: Date.now() - leaderAt, dearLeader: laterLeader, pttl: laterPttl };

  await kiq.stop();
  const afterStop = {
    dearLeader: await client.exists('dear-leader'),
    rubyLeader: await rubyInspect<string>(redis.url, 'Sidekiq::ProcessSet.new.leader'),
  };
  const queued = (await client.lrange('queue:default', 0, -1)).reverse().map((raw) => JSON.parse(raw) as Record<string, unknown>);
  const kiqQueue = await client.llen('queue:kiqonly');
  const parsed = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const enqueueLogs = parsed.filter((l) => l.event === 'periodic_enqueue') as unknown as EnqueueLog[];
  const enqueueFailures = logger.lines.filter((line) => /"event":"periodic_(enqueue_failed|failed|missed)"/.test(line));
  const claims = await periodicClaims(client);

  // --- the real Sidekiq runs what the Kiq leader enqueued
  const run = await runSidekiq({
    redisUrl: redis.url,
    queues: ['default'],
    until: async () => (await performedJobs(client)).length >= queued.length,
    timeoutMs: 25_000,
  });
  const performed = await performedJobs(client);
  const defaultAfterRun = await client.llen('queue:default');

  return {
    identity,
    leaderEvents,
    leaderAfterMs,
    whileLeading: { dearLeader, pttl, view, busyPage: busyPage!, busyText },
    later,
    afterStop,
    queued,
    kiqQueue,
    enqueueLogs,
    enqueueFailures,
    claims,
    run,
    performed,
    defaultAfterRun,
  };
}

/** Occurrence second (as written in the key) → claiming identity, from `periodic:<digest>:<T>`. */
async function periodicClaims(client: Redis): Promise<Map<string, string>> {
  const claims = new Map<string, string>();
  for (const key of await scanAll(client, 'periodic:*')) claims.set(key.slice(key.lastIndexOf(':') + 1), (await client.get(key)) ?? '');
  return claims;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
