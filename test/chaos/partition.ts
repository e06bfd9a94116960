/**
 * Scenario: network partitions between Kiq and Redis. Each server talks to
 * Redis through its own TCP proxy (test/support/tcp-proxy.ts) with a small
 * `leaderTtl`; the driver enqueues directly, at a steady rate. Faults, in
 * turn: stall (a blackhole: no RST, nothing arrives) or drop (every
 * connection destroyed, new ones refused), of the leader or of a follower,
 * each healed after a while.
 *
 * End state: no job lost or stuck; the leadership intervals the processes
 * reported never overlap (two never both believe they lead); every
 * partitioned server completes jobs again soon after the heal ("resume").
 * With `blackholeMs`, one more stall of the leader that long, which the
 * process must notice and log (a command timeout or keepalive) before it
 * is healed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Harness } from './lib/harness.js';
import type { KiqProcess } from './lib/kiq-process.js';
import { leadershipOverlaps, leadershipTerms } from '../support/leadership.js';
import { settle } from './lib/ledger.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { seconds, type Figures } from './lib/report.js';

/** One partition: how, of whom, for how long (ms). */
export interface Partition {
  readonly mode: 'stall' | 'drop';
  readonly target: 'leader' | 'follower';
  readonly ms: number;
}

/** Sizes and faults of the run. */
export interface PartitionOptions {
  readonly servers: number;
  readonly leaderTtl: number;
  readonly partitions: readonly Partition[];
  /** Healthy time before each partition, ms. */
  readonly gapMs: number;
  /** Also stall the leader this long and require it to log the dead connection meanwhile; 0: skip. */
  readonly blackholeMs: number;
  /** Jobs enqueued per second during the run. */
  readonly rate: number;
  readonly concurrency: number;
  readonly jobMs: number;
  readonly resumeLimitMs: number;
  readonly drainTimeoutMs: number;
  readonly settleMs: number;
}

const QUEUE = 'chaos';

/** Run it; the figures say what happened. */
export async function partitions(o: PartitionOptions): Promise<Figures> {
  const h = await Harness.open();
  const proxies: TcpProxy[] = [];
  try {
    const servers: KiqProcess[] = [];
    for (let i = 0; i < o.servers; i += 1) {
      const proxy = await TcpProxy.start(h.port);
      proxies.push(proxy);
      servers.push(h.spawn({ label: `s${i}`, redisUrl: proxy.url, queues: { [QUEUE]: o.concurrency }, jobMs: o.jobMs, leaderTtl: o.leaderTtl }));
    }
    await Promise.all(servers.map((p) => p.ready()));
    const started = Date.now();

    let producing = true;
    const producer = (async () => {
      const perTick = Math.max(1, Math.round(o.rate / 10));
      for (let sent = 0; producing; sent += perTick) {
        await h.enqueue('n', perTick, QUEUE, sent);
        await sleep(100);
      }
    })();

    /** The process that leads once exactly one does (waits up to 5 ttl). */
    const leader = async (): Promise<number> => {
      const waitMs = 5 * o.leaderTtl + 5_000;
      const deadline = Date.now() + waitMs;
      for (;;) {
        const leading = servers.map((p, i) => (p.leads() ? i : -1)).filter((i) => i >= 0);
        if (leading.length === 1) return leading[0]!;
        if (Date.now() > deadline) throw new Error(`no single leader within ${waitMs} ms: ${leading.length} lead`);
        await sleep(20);
      }
    };

    const heals: { index: number; at: number }[] = [];
    const faults = [...o.partitions, ...(o.blackholeMs > 0 ? [{ mode: 'stall', target: 'leader', ms: o.blackholeMs } as const] : [])];
    let blackholeLogged: boolean | undefined;
    for (const [n, fault] of faults.entries()) {
      await sleep(o.gapMs);
      const lead = await leader();
      const index = fault.target === 'leader' ? lead : (lead + 1) % servers.length;
      const cutAt = Date.now();
      if (fault.mode === 'stall') proxies[index]!.stall();
      else proxies[index]!.drop();
      await sleep(fault.ms);
      if (o.blackholeMs > 0 && n === faults.length - 1) {
        blackholeLogged = servers[index]!.logs.some((l) => l.level !== 'info' && l.at >= cutAt);
      }
      proxies[index]!.heal();
      heals.push({ index, at: Date.now() });
    }
    await sleep(o.gapMs);
    producing = false;
    await producer;
    await (await h.client()).flush();

    const drainedAt = await h.ledger.drained(o.drainTimeoutMs);
    const resumes = heals.map(({ index, at }) => (h.ledger.firstBy(servers[index]!.options.label, at) ?? Infinity) - at);
    const worst = Math.max(0, ...resumes);
    const stuck = await settle(h.admin(), o.settleMs);
    const overlaps = leadershipOverlaps(servers);
    const failures = [...overlaps];
    if (worst > o.resumeLimitMs) failures.push(`a partitioned server resumed ${seconds(worst)} after the heal (limit ${o.resumeLimitMs / 1000} s)`);
    if (blackholeLogged === false) failures.push(`a ${o.blackholeMs / 1000} s blackhole between the leader and Redis was never logged`);
    return h.figures({
      scenario: 'partition (tcp proxy: stall, drop)',
      started,
      drainedAt,
      stuck,
      resumeMs: worst,
      extra: {
        servers: o.servers,
        partitions: faults.map((f) => `${f.mode}-${f.target}-${f.ms / 1000}s`).join(','),
        jobs: h.ledger.expected,
        overlaps: overlaps.length,
        terms: leadershipTerms(servers),
        ...(blackholeLogged === undefined ? {} : { blackhole_logged: blackholeLogged ? 'yes' : 'no' }),
      },
      failures,
    });
  } finally {
    await h.close();
    for (const proxy of proxies) await proxy.close();
  }
}
