/**
 * Scenario: a kill -9 storm. Several Kiq servers with default options share
 * one queue; jobs arrive throughout (from Node's `kiq.enqueue` and from Ruby's
 * `Sidekiq::Client.push`); the driver SIGKILLs a server again and again
 * (the leader whenever one leads and four kills passed since the last
 * leader died; its lease must not delay the recovery), each while it holds a
 * job if it gets one within 5 s, and restarts each at once, with a fresh
 * identity or, with `fixedIdentity`, the same one (a pod name).
 *
 * Right after each kill the driver reads the dead process's private list:
 * those jobs (its orphans) must run again. "resume" is the longest time from
 * a kill until the last of its orphans completed again; the bound
 * is 30 s with default options.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Harness } from './lib/harness.js';
import type { KiqProcess } from './lib/kiq-process.js';
import { settle } from './lib/ledger.js';
import { seconds, type Figures } from './lib/report.js';
import { pushFromRuby } from './lib/ruby-push.js';

/** Sizes and bounds of a storm. */
export interface KillStormOptions {
  /** Server processes (at least 3 in the full run). */
  readonly servers: number;
  readonly kills: number;
  /** All jobs, Ruby's included. */
  readonly jobs: number;
  /** How many of {@link jobs} Ruby pushes (0 when Ruby Sidekiq is not installed). */
  readonly rubyJobs: number;
  /** Concurrency of each server. */
  readonly concurrency: number;
  /** How long each job works, ms. */
  readonly jobMs: number;
  /** Restart each killed server with the identity it had. */
  readonly fixedIdentity: boolean;
  /** Longest allowed time from a kill until its orphans ran again, ms. */
  readonly recoveryLimitMs: number;
  /** How long after the last kill jobs may take to drain before the missing ones count as lost, ms. */
  readonly drainTimeoutMs: number;
  /** How long private lists may take to empty after the drain, ms. */
  readonly settleMs: number;
}

const QUEUE = 'chaos';

/** One SIGKILL and the jobs its victim held. */
interface Kill {
  readonly at: number;
  /** The victim believed it led (its lease must not delay the recovery). */
  readonly leader: boolean;
  readonly orphans: readonly string[];
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Run the storm; the figures say what happened (never throws for what Kiq did). */
export async function killStorm(o: KillStormOptions): Promise<Figures> {
  const h = await Harness.open();
  try {
    let incarnation = 0;
    const spawn = (slot: number): KiqProcess =>
      h.spawn({
        label: `s${slot}.${(incarnation += 1)}`,
        queues: { [QUEUE]: o.concurrency },
        jobMs: o.jobMs,
        ...(o.fixedIdentity ? { identity: `chaos-pod-${slot}` } : {}),
      });
    const slots = Array.from({ length: o.servers }, (_, slot) => spawn(slot));
    await Promise.all(slots.map((p) => p.ready()));

    const started = Date.now();
    const ruby = o.rubyJobs > 0 ? pushFromRuby(h.url(), 'r', o.rubyJobs, QUEUE).then((ids) => h.ledger.expect(ids)) : Promise.resolve();
    ruby.catch(() => undefined); // awaited after the storm; a failure must not be unhandled if the storm throws first
    // one batch up front, then one before each kill, so every kill hits busy servers
    const nodeJobs = o.jobs - o.rubyJobs;
    const batch = Math.ceil(nodeJobs / (o.kills + 1));
    let enqueued = 0;
    const enqueueBatch = async () => {
      const count = Math.min(batch, nodeJobs - enqueued);
      await h.enqueue('n', count, QUEUE, enqueued);
      enqueued += count;
    };
    await enqueueBatch();

    const kills: Kill[] = [];
    let lastLeaderKill = -4;
    for (let k = 0; k < o.kills; k += 1) {
      await enqueueBatch();
      await sleep(100 + Math.random() * 400);
      // the leader whenever there is one and four kills have passed since the last leader died
      const leader = k - lastLeaderKill >= 4 ? slots.findIndex((p) => p.leads()) : -1;
      if (leader >= 0) lastLeaderKill = k;
      const slot = leader >= 0 ? leader : k % o.servers;
      const victim = slots[slot]!;
      await victim.ready();
      const privateList = `queue:sq|${victim.identity}|${QUEUE}`;
      // kill it busy: wait (a few seconds at most) until it holds a job
      for (const until = Date.now() + 5_000; Date.now() < until && (await h.admin().llen(privateList)) === 0; ) await sleep(10);
      const wasLeader = victim.leads();
      await victim.kill();
      const at = Date.now();
      const held = await h.admin().lrange(privateList, 0, -1);
      kills.push({ at, leader: wasLeader, orphans: held.map((raw) => String((JSON.parse(raw) as { args: unknown[] }).args[0])) });
      slots[slot] = spawn(slot);
    }
    await ruby;
    await Promise.all(slots.map((p) => p.ready()));

    const recovered = () => kills.every((k) => k.orphans.every((id) => h.ledger.performedAfter(id, k.at) !== undefined));
    const drainedAt = await h.ledger.drained(o.drainTimeoutMs, recovered);
    const recoveryOf = (k: Kill) => k.orphans.map((id) => (h.ledger.performedAfter(id, k.at) ?? Infinity) - k.at);
    const recoveries = kills.flatMap(recoveryOf);
    const afterLeaders = kills.filter((k) => k.leader).flatMap(recoveryOf);
    const worst = recoveries.length === 0 ? undefined : Math.max(...recoveries);
    const stuck = await settle(h.admin(), o.settleMs);
    const failures: string[] = [];
    if (worst !== undefined && worst > o.recoveryLimitMs) {
      const late = recoveries.filter((ms) => ms > o.recoveryLimitMs).length;
      failures.push(`${late} orphan(s) ran again later than ${o.recoveryLimitMs / 1000} s after their kill (worst ${seconds(worst)})`);
    }
    if (kills.every((k) => k.orphans.length === 0)) failures.push('no kill caught a job in flight: the storm proved nothing');
    return h.figures({
      scenario: `kill-storm${o.fixedIdentity ? ' (fixed identities)' : ''}`,
      started,
      drainedAt,
      stuck,
      resumeMs: worst,
      extra: {
        servers: o.servers,
        kills: kills.length,
        jobs: h.ledger.expected,
        ruby: o.rubyJobs,
        orphans: recoveries.length,
        ...(recoveries.length > 0 ? { recovery_p50: seconds(median(recoveries)) } : {}),
        leader_kills: kills.filter((k) => k.leader).length,
        ...(afterLeaders.length > 0 ? { recovery_worst_after_leader_kill: seconds(Math.max(...afterLeaders)) } : {}),
      },
      failures,
    });
  } finally {
    await h.close();
  }
}
