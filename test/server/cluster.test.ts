/**
 * Leader election and periodic jobs across real processes: three Kiq
 * servers, each its own Node process (test/server/fixtures/cluster-server.ts,
 * forked with an IPC channel), `leaderTtl` 1 s, on one Redis DB.
 *
 * What a process believes is the last `leader` event it reported (each
 * carries the child's `Date.now()`: one wall clock on one host, so the
 * children's reports can be put on one time line); what Redis says is
 * `GET dear-leader`, sampled by the parent.
 *
 * 1. Exactly one leader at any time: sampled every 20 ms for about 11 s, and
 *    the leadership intervals the children reported never overlap.
 * 2. A `*\/1 * * * * *` periodic on the same three processes, during the
 *    same 11 s (shared run): exactly one job per second.
 * 3. SIGKILL of the leader: another leads within ttl + one follower interval,
 *    and not before the dead leader's key lapsed.
 * 4. A graceful stop of the leader: `dear-leader` is deleted before it could
 *    have expired, and another leads within one follower interval of that.
 * 5. (skipped: a src bug, see the comment on it) a leader that stops while a
 *    job drains drops the periodic occurrences it claims meanwhile.
 *
 * Tests 1 and 2 share one run of the cluster (~12 s); 3 and 4 start their
 * own three processes (FLUSHDB runs before each test). Every child is
 * SIGKILLed by pid after each test unless it already exited.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CLAIM_EVERY, JITTER } from '../../machines/senator.js';
import { Kiq, defineWorker } from '../../src/index.js';
import { LEADER } from '../../src/redis/keys.js';
import { killChildren } from '../support/children.js';
import { leadershipOverlaps } from '../support/leadership.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { scanAll } from '../support/scan-all.js';
import { deferred, until } from '../support/wait.js';
import type { ClusterCommand, ClusterMessage } from './fixtures/cluster-server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The children's `leaderTtl`, ms. */
const TTL = 1_000;
/** The longest follower interval: ttl/2 + 20 % jitter. */
const FOLLOWER_MAX = TTL * CLAIM_EVERY * (1 + JITTER);
/** Slack for process scheduling, IPC and a round trip on a busy test machine, ms. */
const SLACK = 300;
/** Period of the leadership sampler, ms. */
const SAMPLE_EVERY_MS = 20;
/** Whole seconds of the periodic window in which exactly one job per second is required. */
const WINDOW_SECONDS = 10;
/** Samples this close (ms) to a leadership change the parent received are not compared with the key. */
const CHANGE_GUARD_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One `leader` event of a child. */
interface Change {
  readonly leader: boolean;
  /** The child's `Date.now()` when the event fired. */
  readonly at: number;
  /** The parent's `Date.now()` when the message arrived. */
  readonly receivedAt: number;
}

/** One Kiq server process of the cluster. */
interface Member {
  readonly index: number;
  /** `member <index>`, as overlap descriptions name it. */
  readonly options: { readonly label: string };
  readonly identity: string;
  readonly child: ChildProcess;
  /** Every `leader` event it reported, in order. */
  readonly changes: Change[];
  /** `error` events it reported. */
  readonly errors: string[];
  /** Resolves when the process exited. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The parent's `Date.now()` when it saw the process exit (or killed it); undefined while alive. */
  readonly diedAt: number | undefined;
  /** It is alive and its last `leader` event said `leader: true`. */
  leads(): boolean;
  /** Graceful stop (`kiq.stop()` in the child); resolves on its `stopped` message. */
  stop(): Promise<void>;
  /** SIGKILL; resolves when it exited. */
  kill(): Promise<void>;
  /** The end of its stderr (Kiq's log lines), for failure messages. */
  log(): string;
}

/** One sample of the cluster: beliefs before and after `GET dear-leader`, and its reply. */
interface Sample {
  /** Parent `Date.now()` before the GET was sent and after its reply. */
  readonly start: number;
  readonly end: number;
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly holder: string | null;
}

describe('Cluster: three Kiq processes on one Redis (leader election, periodic jobs)', function () {
  this.timeout(40_000);
  const redis = useRedis();
  const children: ChildProcess[] = [];
  const kiqs: Kiq[] = [];

  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 1_000 }).catch(() => undefined);
    await killChildren(children);
  });

  /** Fork one cluster member; resolves once it reported `ready`. */
  async function startMember(index: number, periodic: boolean): Promise<Member> {
    const identity = `cluster-${index}:${process.pid}:${randomBytes(6).toString('hex')}`;
    const child = fork(FIXTURE, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, REDIS_URL: redis.url, KIQ_IDENTITY: identity, KIQ_LEADER_TTL: String(TTL), KIQ_PERIODIC: periodic ? '1' : '0' },
      silent: true, // stdout and stderr piped (and drained below), not mixed into the test output
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8_000)));
    child.stdout!.resume();
    const changes: Change[] = [];
    const errors: string[] = [];
    const ready = deferred(20_000, `cluster member ${index} to start`);
    let stopped: ReturnType<typeof deferred> | undefined;
    let diedAt: number | undefined;
    child.on('message', (message: ClusterMessage) => {
      switch (message.type) {
        case 'ready':
          ready.resolve();
          return;
        case 'leader':
          changes.push({ leader: message.leader, at: message.at, receivedAt: Date.now() });
          return;
        case 'error':
          errors.push(message.message);
          return;
        case 'stopped':
          stopped?.resolve(undefined);
          return;
      }
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        diedAt ??= Date.now();
        resolve({ code, signal });
      }),
    );
    const member: Member = {
      index,
      options: { label: `member ${index}` },
      identity,
      child,
      changes,
      errors,
      exit,
      get diedAt() {
        return diedAt;
      },
      leads: () => diedAt === undefined && changes.at(-1)?.leader === true,
      async stop() {
        stopped = deferred(10_000, `cluster member ${index} to stop`);
        child.send({ type: 'stop' } satisfies ClusterCommand);
        await stopped.promise;
      },
      async kill() {
        process.kill(child.pid!, 'SIGKILL');
        // it can no longer act: belief ends here (the exit event comes a moment later)
        diedAt = Date.now();
        await exit;
      },
      log: () => stderr,
    };
    await Promise.race([
      ready.promise,
      exit.then(({ code, signal }) => {
        throw new Error(`cluster member ${index} exited early (code ${code}, signal ${signal}): ${stderr.trim()}`);
      }),
    ]);
    return member;
  }

  /** Three members, started side by side. */
  function startCluster(periodic: boolean): Promise<Member[]> {
    return Promise.all([0, 1, 2].map((i) => startMember(i, periodic)));
  }

  /** Exactly one member believes it leads and `dear-leader` holds its identity. */
  async function settledLeader(members: readonly Member[], timeoutMs = 5_000): Promise<Member> {
    let leader: Member | undefined;
    await until(
      async () => {
        const believers = members.filter((m) => m.leads());
        if (believers.length !== 1) return false;
        leader = believers[0];
        return (await redis.client.get(LEADER)) === leader!.identity;
      },
      timeoutMs,
      'exactly one leader, holding dear-leader',
      5,
    );
    return leader!;
  }

  /** Three fresh members with a settled leader; `pttl` is what its dear-leader key had left at `readAt`. */
  async function clusterWithLeader(): Promise<{ members: Member[]; leader: Member; others: Member[]; readAt: number; pttl: number }> {
    const members = await startCluster(false);
    const leader = await settledLeader(members);
    const readAt = Date.now();
    const pttl = await redis.client.pttl(LEADER);
    expect(pttl, 'dear-leader TTL').to.be.within(1, TTL);
    return { members, leader, others: members.filter((m) => m !== leader), readAt, pttl };
  }

  /** Waits until one of `others` leads and dear-leader names it; resolves to the `leader: true` event it won with. */
  async function successorWon(others: readonly Member[], timeoutMs: number, what: string): Promise<Change> {
    let successor: Member | undefined;
    await until(
      async () => {
        successor = others.find((m) => m.leads());
        return successor !== undefined && (await redis.client.get(LEADER)) === successor.identity;
      },
      timeoutMs,
      what,
      5,
    );
    return successor!.changes.findLast((c) => c.leader)!;
  }

  /** The identities of the members that believe they lead. */
  const believers = (members: readonly Member[]) => members.filter((m) => m.leads()).map((m) => m.identity);

  /** What the shared run of three periodic-enabled members observed. */
  interface Observation {
    readonly members: readonly Member[];
    readonly samples: readonly Sample[];
    /** Parent time the first `leader: true` arrived. */
    readonly firstLeaderAt: number;
    /** When sampling ended (parent clock). */
    readonly endedAt: number;
    /** The whole epoch seconds of the periodic window, inclusive. */
    readonly windowStart: number;
    readonly windowEnd: number;
    /** `queue:ticks`, parsed. */
    readonly jobs: readonly Record<string, unknown>[];
    /** The occurrence claims `periodic:<digest>:<sec>`: second and claiming identity. */
    readonly claims: readonly { readonly second: number; readonly holder: string | null }[];
  }

  let observation: Promise<Observation> | undefined;

  /**
   * The shared run (tests 1 and 2 each ask for it; the first one runs it):
   * three members with the every-second periodic, sampled every 20 ms from
   * start until the end of a 10-second window that begins at least one
   * second after the first election; then all three stop gracefully (so
   * every job they enqueued has been flushed to Redis), and `queue:ticks`
   * and the claim keys are read.
   */
  function observe(): Promise<Observation> {
    observation ??= (async () => {
      const members = await startCluster(true);
      const samples: Sample[] = [];
      const sampleOnce = async () => {
        const start = Date.now();
        const before = believers(members);
        const holder = await redis.client.get(LEADER);
        const after = believers(members);
        samples.push({ start, end: Date.now(), before, after, holder });
      };
      // sample from the start; the window is fixed once the first leader is known
      let window: { start: number; end: number } | undefined;
      const deadline = Date.now() + 5_000;
      for (;;) {
        await sampleOnce();
        const first = members.flatMap((m) => m.changes).filter((c) => c.leader).sort((a, b) => a.at - b.at)[0];
        if (first && !window) {
          const start = Math.ceil(first.at / 1000) + 1;
          window = { start, end: start + WINDOW_SECONDS - 1 };
        }
        if (window && Date.now() >= (window.end + 1) * 1000) break;
        if (!window && Date.now() > deadline) throw new Error('no member became leader within 5 s of the cluster start');
        await sleep(SAMPLE_EVERY_MS);
      }
      const endedAt = Date.now();
      const firstLeaderAt = Math.min(...members.flatMap((m) => m.changes).filter((c) => c.leader).map((c) => c.receivedAt));
      // a graceful stop flushes every buffered job: afterwards Redis has all of them
      await Promise.all(members.map((m) => m.stop()));
      for (const m of members) expect(await m.exit, `member ${m.index} exit`).to.deep.equal({ code: 0, signal: null });
      const jobs = (await redis.client.lrange('queue:ticks', 0, -1)).map((raw) => JSON.parse(raw) as Record<string, unknown>);
      const claimKeys = await scanAll(redis.client, 'periodic:*');
      const claims = await Promise.all(
        claimKeys.map(async (key) => ({ second: Number(key.slice(key.lastIndexOf(':') + 1)), holder: await redis.client.get(key) })),
      );
      return { members, samples, firstLeaderAt, endedAt, windowStart: window!.start, windowEnd: window!.end, jobs, claims };
    })();
    return observation;
  }

  it('with three Kiq processes, exactly one is leader at any time (sampled every 20 ms over ~11 s)', async () => {
    const { members, samples, firstLeaderAt, endedAt } = await observe();
    const identities = members.map((m) => m.identity);
    const changes = members.flatMap((m) => m.changes);
    for (const m of members) expect(m.errors, `member ${m.index} error events`).to.deep.equal([]);

    // never two believers at once, in any sample
    expect(samples.length, 'samples').to.be.at.least(200);
    const doubled = samples.filter((s) => s.before.length > 1 || s.after.length > 1);
    expect(doubled.map((s) => `${s.start}: ${s.before.join(', ')} / ${s.after.join(', ')}`), 'samples with two leaders').to.deep.equal([]);
    // nor on the children's own time line (a denser check than sampling)
    expect(leadershipOverlaps(members, endedAt), 'overlapping leadership').to.deep.equal([]);

    // the key only ever names one of the three
    const strangers = samples.filter((s) => s.holder !== null && !identities.includes(s.holder));
    expect(strangers.map((s) => s.holder), 'dear-leader holders that are not members').to.deep.equal([]);

    // after the first election: a leader, holding the key, nearly all the time
    const elected = samples.filter((s) => s.start >= firstLeaderAt);
    const led = elected.filter((s) => s.after.length === 1).length;
    const held = elected.filter((s) => s.holder !== null).length;
    // a settled sample (no change received near it) whose believer is the same before and after the GET: the key is its
    const settled = elected.filter(
      (s) => s.before.length === 1 && s.after[0] === s.before[0] && !changes.some((c) => c.receivedAt >= s.start - CHANGE_GUARD_MS && c.receivedAt <= s.end + CHANGE_GUARD_MS),
    );
    const disagreeing = settled.filter((s) => s.holder !== s.before[0]);
    const terms = changes.filter((c) => c.leader).length;
    const t0 = Math.min(...changes.map((c) => c.at));
    const history = members
      .flatMap((m) => m.changes.map((c) => ({ ...c, index: m.index })))
      .sort((a, b) => a.at - b.at)
      .map((c) => `${c.index}${c.leader ? '+' : '-'}@${c.at - t0}`)
      .join(' ');
    console.log(
      `      ${samples.length} samples over ${((endedAt - samples[0]!.start) / 1000).toFixed(1)} s; after the first election a leader in ` +
        `${((100 * led) / elected.length).toFixed(1)} % and the key held in ${((100 * held) / elected.length).toFixed(1)} % of ` +
        `${elected.length}; ${settled.length} settled samples checked against the key; ${terms} term(s) won (leader events, member+/-@ms: ${history})`,
    );
    expect(disagreeing.map((s) => `${s.start}: believer ${s.before[0]}, key ${s.holder}`), 'settled samples whose key names another').to.deep.equal([]);
    expect(settled.length, 'settled samples').to.be.at.least(elected.length * 0.8);
    expect(led / elected.length, 'share of samples with a leader after the first election').to.be.at.least(0.95);
    expect(held / elected.length, 'share of samples with dear-leader set after the first election').to.be.at.least(0.95);
  });

  it('a `*/1 * * * * *` periodic across three processes enqueues exactly one job per second over 10 seconds', async () => {
    const { members, jobs, claims, windowStart, windowEnd } = await observe();
    const identities = members.map((m) => m.identity);
    for (const job of jobs) expect(job, 'a periodic job').to.deep.include({ class: 'ClusterTick', queue: 'ticks', args: [] });

    // periodic jobs carry no scheduled time: `created_at` (set by kiq.enqueue when the leader's tick
    // ran, on or just after the occurrence) says which second a job belongs to
    const perSecond = new Map<number, number[]>();
    for (const job of jobs) {
      const createdAt = job.created_at as number;
      const second = Math.floor(createdAt);
      perSecond.set(second, [...(perSecond.get(second) ?? []), createdAt]);
    }
    const duplicates = [...perSecond].filter(([, at]) => at.length > 1);
    expect(duplicates.map(([second, at]) => `${second}: ${at.join(', ')}`), 'seconds with more than one job').to.deep.equal([]);
    const window = Array.from({ length: windowEnd - windowStart + 1 }, (_, i) => windowStart + i);
    expect(window.length).to.equal(WINDOW_SECONDS);
    const missing = window.filter((second) => !perSecond.has(second));
    expect(missing, `seconds of the window ${windowStart}…${windowEnd} without a job`).to.deep.equal([]);

    // every occurrence was claimed once (SET periodic:<digest>:<sec> NX), by a member; each window
    // second's job has its claim. Outside the window (while the three stop) a claim may lack its job:
    // the stopping-leader bug, see the skipped test at the end
    for (const claim of claims) expect(identities, `claim of ${claim.second}`).to.include(claim.holder);
    const claimed = new Set(claims.map((c) => c.second));
    expect(window.filter((second) => !claimed.has(second)), 'window seconds without a claim').to.deep.equal([]);
    expect([...perSecond.keys()].filter((second) => !claimed.has(second)), 'jobs without a claim for their second').to.deep.equal([]);

    const lateness = window.map((second) => perSecond.get(second)![0]! - second);
    const enqueuers = new Set(claims.map((c) => c.holder));
    console.log(
      `      ${jobs.length} jobs in queue:ticks, window ${windowStart}…${windowEnd}: one job per second, created ` +
        `${(1000 * Math.min(...lateness)).toFixed(0)}–${(1000 * Math.max(...lateness)).toFixed(0)} ms after the second began; ` +
        `enqueued by ${enqueuers.size} process(es)`,
    );
  });

  it('killing the leader with SIGKILL moves leadership to another within ttl + one follower interval', async () => {
    // the key lapses no earlier than readAt + pttl (a renewal only pushes it later)
    const { members, leader, others, readAt, pttl } = await clusterWithLeader();
    const killedAt = Date.now();
    await leader.kill();
    expect(await leader.exit).to.deep.equal({ code: null, signal: 'SIGKILL' });

    const won = await successorWon(others, TTL + FOLLOWER_MAX + 3_000, 'another member to lead after the kill');
    const failover = won.receivedAt - killedAt;
    console.log(
      `      failover after SIGKILL of the leader: ${failover} ms (the new leader's own clock: ${won.at - killedAt} ms; ` +
        `the dead leader's key had ${pttl} ms left; bound ttl + ${FOLLOWER_MAX} + ${SLACK} = ${TTL + FOLLOWER_MAX + SLACK} ms)`,
    );
    expect(won.at, 'nobody claimed before the dead leader’s key lapsed').to.be.at.least(readAt + pttl);
    expect(failover, 'failover, ms').to.be.at.most(TTL + FOLLOWER_MAX + SLACK);
    expect(others.filter((m) => m.leads()), 'leaders among the survivors').to.have.length(1);
    expect(leadershipOverlaps(members), 'overlapping leadership').to.deep.equal([]);
  });

  it('leader stop resigns at once and another takes over within one follower interval', async () => {
    // the key cannot expire before readAt + pttl: gone earlier means deleted (the resign)
    const { members, leader, others, readAt, pttl } = await clusterWithLeader();
    const stopSentAt = Date.now();
    const stopped = leader.stop();
    let goneAt = 0;
    let holderAfter: string | null = null;
    await until(
      async () => {
        holderAfter = await redis.client.get(LEADER);
        goneAt = Date.now();
        return holderAfter !== leader.identity;
      },
      TTL * 2,
      'dear-leader to stop naming the stopped leader',
      2,
    );
    const resignMs = goneAt - stopSentAt;
    expect(goneAt, `dear-leader gone ${resignMs} ms after the stop, before it could expire (${readAt + pttl - stopSentAt} ms)`).to.be.below(readAt + pttl);
    expect(holderAfter === null || others.some((m) => m.identity === holderAfter), 'the key after the resign').to.equal(true);

    const won = await successorWon(others, FOLLOWER_MAX + 3_000, 'another member to lead after the stop');
    const takeover = won.receivedAt - goneAt;
    console.log(
      `      leader stop: dear-leader deleted ${resignMs} ms after the stop was sent; another member led ${takeover} ms later ` +
        `(${won.receivedAt - stopSentAt} ms after the stop; bound ${FOLLOWER_MAX} + ${SLACK} = ${FOLLOWER_MAX + SLACK} ms)`,
    );
    expect(takeover, 'takeover after the resign, ms').to.be.at.most(FOLLOWER_MAX + SLACK);

    await stopped;
    expect(await leader.exit, 'the stopped leader exits cleanly').to.deep.equal({ code: 0, signal: null });
    // it said it stepped down before the successor said it leads
    const steppedDown = leader.changes.at(-1)!;
    expect(steppedDown.leader, 'the stopped leader’s last leader event').to.equal(false);
    expect(steppedDown.at, 'stepped down before the successor took over').to.be.at.most(won.at);
    expect(others.filter((m) => m.leads()), 'leaders among the others').to.have.length(1);
    expect(leadershipOverlaps(members), 'overlapping leadership').to.deep.equal([]);
    for (const m of members) expect(m.errors, `member ${m.index} error events`).to.deep.equal([]);
  });
  // stop() sets the state to `stopping` at once, but the `periodic` ticker stops only after the
  // queues have drained, and the senator later still: a stopping leader keeps claiming occurrences.
  // Each must still be enqueued (enqueues from the tree are accepted while stopping), or the claim
  // would keep every other process from enqueueing it.
  it('a leader stopping while a job drains enqueues every periodic occurrence it claims meanwhile (none lost for the cluster)', async () => {
    const running = deferred(5_000, 'the slow job to start');
    const Slow = defineWorker({
      class: 'ClusterSlow',
      queue: 'other',
      async perform() {
        running.resolve(undefined);
        await sleep(1_500);
      },
    });
    const logger = silent();
    const start = async (): Promise<Kiq> => {
      const kiq = new Kiq({
        redisUrl: redis.url,
        leaderTtl: TTL,
        queues: { other: 1 },
        workers: [Slow],
        fetchInterval: 50,
        logger,
        periodics: [['*/1 * * * * *', 'ClusterTick', { queue: 'ticks', args: [] }]],
      });
      kiqs.push(kiq);
      await kiq.start();
      return kiq;
    };
    const leads = deferred(5_000, 'the first process to lead');
    const leader = await start();
    leader.on('leader', ({ leader: leading }) => leading && leads.resolve(undefined));
    await leads.promise;
    // a healthy follower that could enqueue the occurrences, and only the leader runs jobs
    const follower = await start();
    follower.configure({ quiet: true });
    await leader.enqueue(Slow, [], { confirm: true });
    await running.promise;
    // the leader drains the 1.5 s job: at least one occurrence falls due while it is stopping
    await leader.stop({ timeout: 5_000 });
    await follower.stop({ timeout: 5_000 });

    const jobs = await redis.client.llen('queue:ticks');
    const claims = await scanAll(redis.client, 'periodic:*');
    const failures = logger.lines.filter((line) => line.includes('periodic_enqueue_failed'));
    expect(failures, 'periodic_enqueue_failed log lines').to.deep.equal([]);
    expect(claims.length, 'claimed occurrences = enqueued jobs').to.equal(jobs);
  });
});
