/**
 * Scenario: hostile payloads among valid jobs. Raw bytes written straight
 * into queues, `schedule` and `retry` (with garbage scores), on queues with
 * odd names, next to valid jobs (from `kiq.enqueue`, and raw ones with
 * invalid UTF-8 inside a string, nesting deeper than 1,000 levels, half-MB
 * arguments). No fault besides the bytes.
 *
 * End state: every valid job ran exactly once; every hostile entry is in
 * `dead`, one dead entry each; nothing is left in a queue, `schedule`,
 * `retry` or a private list; and (when Ruby Sidekiq is installed) Sidekiq
 * 6.4's `Sidekiq::DeadSet#each` reads every dead entry (its Web UI's
 * `/morgue` page depends on it).
 */
import { rubyInspect } from '../interop/sidekiq.js';
import { Harness } from './lib/harness.js';
import { settle } from './lib/ledger.js';
import { awkwardJobs, hostileEntries, type AwkwardKind, type HostileKind, type RawEntry } from './lib/payloads.js';
import type { Figures } from './lib/report.js';

/** Sizes and kinds of the run. */
export interface HostileOptions {
  readonly servers: number;
  readonly hostile: number;
  readonly hostileKinds: readonly HostileKind[];
  /** Valid jobs from `kiq.enqueue`. */
  readonly valid: number;
  /** Valid jobs written raw, kinds in turn. */
  readonly awkward: number;
  readonly awkwardKinds: readonly AwkwardKind[];
  /** Check the dead set with Sidekiq's own API (needs Ruby Sidekiq: fails without it). */
  readonly sidekiqDeadSet: boolean;
  readonly drainTimeoutMs: number;
  readonly settleMs: number;
}

/** Queues every server consumes: odd names, each allowed by Kiq's option check. */
export const HOSTILE_QUEUES = ['chaos', 'odd|pipe', 'ünï©ødé', 'queue:nested', 'dots.and-dashes'] as const;

/** Sidekiq 6.4 walks the dead set as its `/morgue` page does; the count read, or what it raised. */
const READ_DEAD_SET = `
begin
  n = 0
  Sidekiq::DeadSet.new.each { |r| r.klass; r.jid; r.args; r.display_class; n += 1 }
  n
rescue Exception => e
  "#{e.class}: #{e.message}"
end
`;

/** Write raw entries in pipelines of 500. */
async function writeRaw(h: Harness, entries: readonly RawEntry[]): Promise<void> {
  const redis = h.admin();
  for (let i = 0; i < entries.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const e of entries.slice(i, i + 500)) {
      if (e.place === 'queue') pipeline.sadd('queues', e.queue).lpush(`queue:${e.queue}`, e.bytes);
      else pipeline.zadd(e.place, e.score, e.bytes);
    }
    await pipeline.exec();
  }
}

/** What is still in queues, `schedule` and `retry`. */
async function leftOver(h: Harness): Promise<number> {
  const redis = h.admin();
  const lengths = await Promise.all([...HOSTILE_QUEUES.map((q) => redis.llen(`queue:${q}`)), redis.zcard('schedule'), redis.zcard('retry')]);
  return lengths.reduce((a, b) => a + b, 0);
}

/** Run it; the figures say what happened. */
export async function hostilePayloads(o: HostileOptions): Promise<Figures> {
  const h = await Harness.open();
  try {
    const queues = Object.fromEntries(HOSTILE_QUEUES.map((q) => [q, 5]));
    // a short poll interval: thousands of due entries, 100 per poller call
    const servers = Array.from({ length: o.servers }, (_, i) => h.spawn({ label: `s${i}`, queues, jobMs: 0, pollInterval: 500 }));
    await Promise.all(servers.map((p) => p.ready()));

    const started = Date.now();
    const hostile = hostileEntries(o.hostile, o.hostileKinds, HOSTILE_QUEUES);
    const awkward = awkwardJobs('a', o.awkward, o.awkwardKinds, HOSTILE_QUEUES);
    h.ledger.expect(awkward.map((e) => e.id!));
    // interleaved, so hostile entries sit between valid ones in every list and set
    const mixed = hostile.flatMap((e, i) => (awkward[i] ? [e, awkward[i]!] : [e])).concat(awkward.slice(hostile.length));
    await writeRaw(h, mixed);
    for (const [i, queue] of HOSTILE_QUEUES.entries()) {
      const share = Math.floor(o.valid / HOSTILE_QUEUES.length) + (i < o.valid % HOSTILE_QUEUES.length ? 1 : 0);
      await h.enqueue(`v${i}.`, share, queue);
    }
    await (await h.client()).flush();

    const redis = h.admin();
    const drainedAt = await h.ledger.drained(o.drainTimeoutMs, async () => (await redis.zcard('dead')) >= o.hostile && (await leftOver(h)) === 0);
    const stuck = await settle(redis, o.settleMs);
    const dead = await redis.zcard('dead');
    const left = await leftOver(h);
    const duplicated = h.ledger.duplicated();
    const failures: string[] = [];
    if (duplicated > 0) failures.push(`${duplicated} valid job(s) ran more than once (no fault here: exactly once expected)`);
    if (dead < o.hostile) failures.push(`${o.hostile - dead} hostile entr(y/ies) not in dead`);
    if (dead > o.hostile) failures.push(`${dead - o.hostile} more dead entries than hostile ones (valid jobs dead-lettered, or one entry twice)`);
    if (left > 0) failures.push(`${left} entr(y/ies) left in queues, schedule or retry`);
    let sidekiq = 'not checked';
    if (o.sidekiqDeadSet) {
      const read = await rubyInspect<number | string>(h.url(), READ_DEAD_SET);
      sidekiq = typeof read === 'number' ? `read ${read}` : read;
      if (read !== dead) failures.push(`Sidekiq::DeadSet#each: ${typeof read === 'number' ? `read ${read} of ${dead}` : read}`);
    }
    const warnings = servers.reduce((n, p) => n + p.logs.filter((l) => l.level !== 'info').length, 0);
    return h.figures({
      scenario: 'hostile-payloads',
      started,
      drainedAt,
      stuck,
      resumeMs: undefined,
      extra: { hostile: o.hostile, valid: o.valid + o.awkward, dead, left, warnings, sidekiq_dead_set: JSON.stringify(sidekiq) },
      failures,
    });
  } finally {
    await h.close();
  }
}
