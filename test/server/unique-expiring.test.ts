/**
 * Unique and expiring jobs end to end, across two Kiq processes sharing one
 * Redis (docs/sidekiq-contract.md §10, §11; docs/architecture.md §2): a child process
 * (test/server/fixtures/unique-server.ts) and this test process each run a
 * Kiq server with the same workers on queue `unique`, and each enqueues on
 * the test's behalf. The lock key is computed here independently of Kiq's
 * code: `unique:` + SHA-256 hex of the JSON of `[class, queue, args]`.
 *
 * What is checked: one job among concurrent duplicates from both processes;
 * the `success` policy holding the lock while the job runs and freeing it
 * after; the `start` policy freeing it before `perform`; a failing job
 * keeping it through its retry and losing it when it dies; a scheduled job's
 * lock living `unique_for` plus the delay; `expires_at` counted from the run
 * time, a job processed in time running and one processed late aborted
 * (not run, not retried, not dead).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Kiq, type KiqOptions, type PushOptions, type Worker } from '../../src/index.js';
import type { JobAbortedMessage, JobFailureMessage } from '../../src/telemetry.js';
import { killChildren } from '../support/children.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { deferred, until } from '../support/wait.js';
import {
  EVENTS_KEY,
  FAR_RETRY_MS,
  RELEASE_PREFIX,
  UNIQUE_FOR_MS,
  UX_QUEUE,
  Ux,
  uniqueWorkers,
  type EnqueueReply,
  type EnqueueRequest,
  type UxEvent,
} from './fixtures/unique-server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/unique-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The lock key of a unique job, computed from the wire format (docs/architecture.md §2), not with Kiq's helper. */
function lockKey(cls: string, queue: string, args: readonly unknown[]): string {
  return `unique:${createHash('sha256').update(JSON.stringify([cls, queue, args])).digest('hex')}`;
}

/** A confirmed enqueue as both processes report it. */
interface Receipt {
  readonly status: string;
  readonly jid: string;
  readonly holder?: string;
}

/** The child process: a Kiq server that enqueues on request. */
interface Remote {
  readonly process: ChildProcess;
  readonly identity: string;
  enqueue(cls: string, args: unknown[], options?: EnqueueRequest['options']): Promise<Receipt>;
}

describe('Unique and expiring jobs across two Kiq processes sharing one Redis', function () {
  this.timeout(20_000);
  const redis = useRedis();
  let remote: Remote;
  let local: Kiq;
  const kiqs: Kiq[] = [];
  const children: ChildProcess[] = [];
  let recorder: Redis;
  let workers: Map<string, Worker>;

  before(() => {
    recorder = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });

  after(async () => {
    await recorder.quit().catch(() => undefined);
  });

  beforeEach(async () => {
    remote = await spawnRemote(`ux-remote:${process.pid}:${randomBytes(6).toString('hex')}`);
    local = await kiqOn({ queues: { [UX_QUEUE]: 3 } });
    workers = new Map(uniqueWorkers(recorder, () => local.identity).map((worker) => [worker.class, worker]));
  });

  afterEach(async () => {
    await killChildren(children);
    // let every slow job still waiting finish, so the stops are quick
    const started = (await events()).filter((e) => e.event === 'started').map((e) => e.jid);
    for (const jid of started) await redis.client.set(`${RELEASE_PREFIX}${jid}`, '1');
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 1_000 }).catch(() => undefined);
  });

  /** A Kiq server in this process with the shared workers (they record as this instance). */
  async function kiqOn(options: KiqOptions): Promise<Kiq> {
    let identity = '';
    const kiq = new Kiq({
      redisUrl: redis.url,
      workers: uniqueWorkers(recorder, () => identity),
      fetchInterval: 50,
      pollInterval: 100,
      shutdownTimeout: 500,
      logger: silent(),
      ...options,
    });
    identity = kiq.identity;
    kiqs.push(kiq);
    await kiq.start();
    return kiq;
  }

  /** Start the fixture as a child process; resolves once it printed `ready`. */
  async function spawnRemote(identity: string): Promise<Remote> {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDIS_URL: redis.url, KIQ_IDENTITY: identity },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    const pending = new Map<number, (reply: EnqueueReply) => void>();
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = deferred(15_000, 'the unique-server child to start');
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      let newline: number;
      while ((newline = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        if (line === `ready ${identity}`) ready.resolve();
        else if (line.startsWith('reply ')) {
          const reply = JSON.parse(line.slice('reply '.length)) as EnqueueReply;
          pending.get(reply.id)?.(reply);
          pending.delete(reply.id);
        }
      }
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`unique-server exited (code ${code}, signal ${signal}): ${stderr.trim()}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([ready.promise, exited]);
    let nextId = 0;
    return {
      process: child,
      identity,
      async enqueue(cls, args, options = {}) {
        const id = ++nextId;
        const answered = deferred<EnqueueReply>(5_000, `the child's reply to enqueue #${id} (${cls})`);
        pending.set(id, answered.resolve);
        child.stdin!.write(`${JSON.stringify({ id, class: cls, args, options } satisfies EnqueueRequest)}\n`);
        const reply = await Promise.race([answered.promise, exited]);
        if ('error' in reply) throw new Error(`child enqueue failed: ${reply.error}`);
        return { status: reply.status, jid: reply.jid, ...(reply.holder === undefined ? {} : { holder: reply.holder }) };
      },
    };
  }

  /** Confirmed enqueue from this process. */
  async function enqueueHere(cls: string, args: unknown[], options: Omit<PushOptions, 'confirm'> = {}, kiq: Kiq = local): Promise<Receipt> {
    const receipt = await kiq.enqueue(workers.get(cls)!, args, { ...options, confirm: true });
    return { status: receipt.status, jid: receipt.job.jid, ...(receipt.holder === undefined ? {} : { holder: receipt.holder }) };
  }

  async function events(): Promise<UxEvent[]> {
    return (await redis.client.lrange(EVENTS_KEY, 0, -1)).map((raw) => JSON.parse(raw) as UxEvent);
  }

  async function waitEvent(event: UxEvent['event'], jid: string, count = 1, timeoutMs = 5_000): Promise<UxEvent[]> {
    let found: UxEvent[] = [];
    await until(
      async () => {
        found = (await events()).filter((e) => e.event === event && e.jid === jid);
        return found.length >= count;
      },
      timeoutMs,
      `${count} "${event}" event(s) of ${jid}`,
    );
    return found;
  }

  async function waitGone(key: string, what: string): Promise<void> {
    await until(async () => (await redis.client.exists(key)) === 0, 5_000, what);
  }

  /** Members of a sorted set, parsed, with their scores. */
  async function zjobs(key: string): Promise<{ job: Record<string, unknown>; raw: string; score: number }[]> {
    const flat = await redis.client.zrange(key, '0', '-1', 'WITHSCORES');
    const out: { job: Record<string, unknown>; raw: string; score: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ raw: flat[i]!, job: JSON.parse(flat[i]!) as Record<string, unknown>, score: Number(flat[i + 1]) });
    return out;
  }

  async function privateListsEmpty(): Promise<boolean> {
    const identities = [local.identity, remote.identity, ...kiqs.map((k) => k.identity)];
    for (const identity of identities) {
      for (const queue of [UX_QUEUE, 'later']) if ((await redis.client.llen(`queue:sq|${identity}|${queue}`)) > 0) return false;
    }
    return true;
  }

  it('the same unique job enqueued at once by both processes is pushed once and performed once; the others get `duplicate` naming the holder', async () => {
    const args = ['same', 1];
    const key = lockKey(Ux.Slow, UX_QUEUE, args);
    // two from each process, all in flight together; the job that wins runs
    // until released, so every enqueue meets its lock however slow the machine
    const receipts = await Promise.all([
      enqueueHere(Ux.Slow, args),
      remote.enqueue(Ux.Slow, args),
      enqueueHere(Ux.Slow, args),
      remote.enqueue(Ux.Slow, args),
    ]);
    const pushed = receipts.filter((r) => r.status === 'enqueued');
    expect(pushed, JSON.stringify(receipts)).to.have.length(1);
    const winner = pushed[0]!.jid;
    const duplicates = receipts.filter((r) => r.status === 'duplicate');
    expect(duplicates, JSON.stringify(receipts)).to.have.length(3);
    for (const duplicate of duplicates) {
      expect(duplicate.holder, 'the duplicate names the jid holding the lock').to.equal(winner);
      expect(duplicate.jid).to.not.equal(winner);
    }
    expect(await redis.client.get(key)).to.equal(winner);

    const [started] = await waitEvent('started', winner);
    expect(started!.args).to.deep.equal(args);
    await redis.client.set(`${RELEASE_PREFIX}${winner}`, '1');
    await waitEvent('finished', winner);
    await waitGone(key, 'the lock to be released after success');
    await until(privateListsEmpty, 5_000, 'acks');
    expect(await redis.client.llen(`queue:${UX_QUEUE}`), 'nothing else was pushed').to.equal(0);
    const all = await events();
    expect(all.map((e) => `${e.event} ${e.jid}`), 'performed exactly once').to.deep.equal([`started ${winner}`, `finished ${winner}`]);
  });

  it("uniqueUntil 'success' (default): a duplicate from the other process is refused while the job runs; after success the lock is gone and a new enqueue is accepted", async () => {
    const args = ['s2'];
    const key = lockKey(Ux.Slow, UX_QUEUE, args);
    const first = await remote.enqueue(Ux.Slow, args);
    expect(first.status).to.equal('enqueued');
    const [started] = await waitEvent('started', first.jid);

    expect(await redis.client.get(key), 'the lock holds the running job').to.equal(first.jid);
    expect(await redis.client.pttl(key)).to.be.within(1, UNIQUE_FOR_MS);
    const here = await enqueueHere(Ux.Slow, args);
    expect(here, `running in ${started!.identity}`).to.include({ status: 'duplicate', holder: first.jid });
    const there = await remote.enqueue(Ux.Slow, args);
    expect(there).to.include({ status: 'duplicate', holder: first.jid });
    expect((await events()).filter((e) => e.event === 'finished'), 'still running when refused').to.deep.equal([]);

    await redis.client.set(`${RELEASE_PREFIX}${first.jid}`, '1');
    await waitEvent('finished', first.jid);
    await waitGone(key, 'the lock to be released after success');

    const again = await enqueueHere(Ux.Slow, args);
    expect(again.status, 'accepted once the first succeeded').to.equal('enqueued');
    expect(again.jid).to.not.equal(first.jid);
    await redis.client.set(`${RELEASE_PREFIX}${again.jid}`, '1');
    await waitEvent('finished', again.jid);
    await waitGone(key, 'the second lock to be released');
    expect((await events()).filter((e) => e.event === 'started').map((e) => e.jid)).to.deep.equal([first.jid, again.jid]);
  });

  it("uniqueUntil 'start': the lock is released when the job starts, and a duplicate is accepted while it still runs", async () => {
    const args = ['s3'];
    const key = lockKey(Ux.Slow, UX_QUEUE, args);
    const first = await enqueueHere(Ux.Slow, args, { uniqueUntil: 'start' });
    expect(first.status).to.equal('enqueued');
    expect(await redis.client.get(key), 'held while it waits in the queue (or already released at start)').to.be.oneOf([first.jid, null]);
    await waitEvent('started', first.jid);
    expect(await redis.client.exists(key), 'released before perform ran').to.equal(0);

    const second = await remote.enqueue(Ux.Slow, args, { uniqueUntil: 'start' });
    expect(second.status, 'accepted while the first runs').to.equal('enqueued');
    await waitEvent('started', second.jid);
    const running = await events();
    expect(running.filter((e) => e.event === 'finished'), 'both running at once').to.deep.equal([]);
    expect(running.filter((e) => e.event === 'started').map((e) => e.jid)).to.deep.equal([first.jid, second.jid]);

    await redis.client.set(`${RELEASE_PREFIX}${first.jid}`, '1');
    await redis.client.set(`${RELEASE_PREFIX}${second.jid}`, '1');
    await waitEvent('finished', first.jid);
    await waitEvent('finished', second.jid);
    expect(await redis.client.exists(key)).to.equal(0);
  });

  it('a failing unique job keeps its lock while it waits to retry (a duplicate is refused) and loses it when it dies', async () => {
    const args = ['f4'];
    const key = lockKey(Ux.Failing, UX_QUEUE, args);
    const first = await enqueueHere(Ux.Failing, args);
    expect(first.status).to.equal('enqueued');

    let retries: Awaited<ReturnType<typeof zjobs>> = [];
    await until(async () => (retries = await zjobs('retry')).length === 1, 5_000, 'the retry entry');
    const [retry] = retries;
    expect(retry!.job).to.include({ jid: first.jid, retry_count: 0, retry: 1, error_message: `Ux::Failing ${first.jid}` });
    expect(retry!.score * 1000, 'retryIn: an hour out').to.be.within(Date.now() + FAR_RETRY_MS - 10_000, Date.now() + FAR_RETRY_MS + 60_000);
    expect(await redis.client.get(key), 'the lock is kept while the job retries').to.equal(first.jid);
    expect(await redis.client.pttl(key)).to.be.above(0);

    const refused = await remote.enqueue(Ux.Failing, args);
    expect(refused, 'a duplicate from the other process').to.include({ status: 'duplicate', holder: first.jid });
    expect(await redis.client.llen(`queue:${UX_QUEUE}`)).to.equal(0);

    // make the retry due now; either process's retry poller (100 ms) promotes it
    expect(await redis.client.zadd('retry', 'XX', String(Date.now() / 1000), retry!.raw)).to.equal(0);
    let dead: Awaited<ReturnType<typeof zjobs>> = [];
    await until(async () => (dead = await zjobs('dead')).length === 1, 5_000, 'the job to die after its retry');
    expect(dead[0]!.job).to.include({ jid: first.jid, retry_count: 1 });
    const attempts = await waitEvent('failed', first.jid, 2);
    expect(attempts.map((a) => a.retryCount), 'the first run, then retry #0').to.deep.equal([null, 0]);
    expect(await redis.client.zcard('retry'), 'no retry left').to.equal(0);
    await waitGone(key, 'the lock to be released when the job died');

    const after = await remote.enqueue(Ux.Failing, args);
    expect(after.status, 'a new job is accepted once the dead one let go').to.equal('enqueued');
  });

  it('a scheduled unique job: lock TTL = uniqueFor + delay, and a duplicate from the other process (scheduled or not) is refused', async () => {
    const args = ['s5'];
    const key = lockKey(Ux.Echo, UX_QUEUE, args);
    const DELAY_MS = 30_000;
    const scheduled = await remote.enqueue(Ux.Echo, args, { in: DELAY_MS });
    expect(scheduled.status).to.equal('scheduled');
    const pttl = await redis.client.pttl(key);
    const [entry] = await zjobs('schedule');
    expect(entry!.job.jid).to.equal(scheduled.jid);
    expect(await redis.client.get(key)).to.equal(scheduled.jid);
    expect(pttl, 'unique_for 60 s + 30 s delay').to.be.within(UNIQUE_FOR_MS + DELAY_MS - 2_000, UNIQUE_FOR_MS + DELAY_MS);
    // the lock ends unique_for after the run time
    expect(Date.now() + pttl - (entry!.score * 1000 + UNIQUE_FOR_MS)).to.be.within(-1_000, 1_000);
    expect(entry!.job).to.include({ unique_for: UNIQUE_FOR_MS / 1000 });

    const laterDup = await enqueueHere(Ux.Echo, args, { in: 10_000 });
    expect(laterDup).to.include({ status: 'duplicate', holder: scheduled.jid });
    const nowDup = await enqueueHere(Ux.Echo, args);
    expect(nowDup).to.include({ status: 'duplicate', holder: scheduled.jid });
    expect(await redis.client.zcard('schedule')).to.equal(1);
    expect(await redis.client.llen(`queue:${UX_QUEUE}`)).to.equal(0);
  });

  it('expiring jobs: expires_at counts from the run time; processed in time it runs, processed late it is aborted (not run, not retried, not dead)', async () => {
    // 1. { in: 500 } with expiresIn 1000: due in 0.5 s, must start within 1 s of that
    const inTime = await remote.enqueue(Ux.Expiring, ['e6a'], { in: 500, expiresIn: 1_000 });
    expect(inTime.status).to.equal('scheduled');
    const [entry] = await zjobs('schedule');
    expect(entry!.job.jid).to.equal(inTime.jid);
    expect(entry!.job.expires_in).to.equal(1);
    expect(entry!.job.expires_at as number, 'expires_at = scheduled time + expires_in').to.be.closeTo(entry!.score + 1, 1e-6);
    expect((entry!.job.expires_at as number) - (entry!.job.created_at as number)).to.be.closeTo(1.5, 0.01);
    const [ran] = await waitEvent('performed', inTime.jid, 1, 5_000);
    expect(ran!.args).to.deep.equal(['e6a']);

    // 2. expiresIn 200 onto queue `later`, which nobody consumes yet
    const pushedAt = Date.now();
    const late = await remote.enqueue(Ux.Expiring, ['e6b'], { queue: 'later', expiresIn: 200 });
    expect(late.status).to.equal('enqueued');
    const stored = JSON.parse((await redis.client.lindex('queue:later', 0))!) as Record<string, unknown>;
    expect(stored.jid).to.equal(late.jid);
    expect(stored.expires_in).to.equal(0.2);
    expect(stored.expires_at as number, 'pushed now: counted from created_at').to.be.closeTo((stored.created_at as number) + 0.2, 1e-6);

    await until(() => Date.now() - pushedAt >= 600, 2_000, '600 ms to pass');
    const aborted = deferred<JobAbortedMessage>(5_000, 'the expired job to be aborted');
    const failures: JobFailureMessage[] = [];
    const successes: string[] = [];
    const consumer = new Kiq({
      redisUrl: redis.url,
      queues: { later: 1 },
      workers: uniqueWorkers(recorder, () => consumer.identity),
      fetchInterval: 50,
      pollInterval: 100,
      logger: silent(),
    });
    kiqs.push(consumer);
    consumer.on('job:aborted', (message) => {
      if (message.jid === late.jid) aborted.resolve(message);
    });
    consumer.on('job:failure', (message) => failures.push(message));
    consumer.on('job:success', (message) => successes.push(message.jid));
    await consumer.start();
    const message = await aborted.promise;
    expect(message).to.include({ reason: 'expired', class: Ux.Expiring, queue: 'later' });
    await until(async () => (await redis.client.llen(`queue:sq|${consumer.identity}|later`)) === 0, 5_000, 'the expired job to be acked');
    expect(await redis.client.llen('queue:later')).to.equal(0);
    expect((await events()).filter((e) => e.jid === late.jid), 'never performed').to.deep.equal([]);
    expect(failures, 'not a failure').to.deep.equal([]);
    expect(successes).to.deep.equal([]);
    expect(await redis.client.zcard('retry'), 'not retried').to.equal(0);
    expect(await redis.client.zcard('dead'), 'not dead').to.equal(0);
  });
});
