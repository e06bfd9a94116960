import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { createActor, toPromise } from 'xstate';
import { ManualClock } from '../../src/clock.js';
import type { JobPayload } from '../../src/job/payload.js';
import { Kiq, defineWorker, type KiqOptions, type Worker } from '../../src/index.js';
import { Heartbeat, HeartbeatCommandError, kBeat, kiqVersion, STAT_TTL_SEC, type HeartbeatDeps } from '../../src/server/heartbeat.js';
import { ProcessState } from '../../src/server/process-state.js';
import { gatedWorker, type GatedWorker } from '../support/gated-worker.js';
import { useKiqs } from '../support/kiqs.js';
import { silent, type MemoryLogger } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { deferred, until } from '../support/wait.js';

const IDENTITY = 'vm:12479:7a254f54ce0b';
/** 2026-11-27 19:32:01.1209931 UTC, a VM-clock time of the contract's §14 run. */
const START_MS = 1_795_807_921_120.9931;
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function payload(n: number): { job: JobPayload; raw: string } {
  const job: JobPayload = { class: 'Interop::Slow', args: [n], jid: `a319acf4a129c1d6e0eec6${String(n).padStart(2, '0')}`, queue: 'default' };
  return { job, raw: JSON.stringify(job) };
}

describe('Heartbeat (real Redis)', () => {
  const redis = useRedis();
  let clock: ManualClock;
  let state: ProcessState;
  let logger: MemoryLogger;
  let signals: string[];

  function heartbeat(overrides: Partial<HeartbeatDeps> = {}): Heartbeat {
    return new Heartbeat({
      redis: () => redis.client,
      identity: IDENTITY,
      queues: { default: 5, low: 2 },
      clock,
      logger,
      state,
      onSignal: (signal) => signals.push(signal),
      env: { DYNO: 'web.1' },
      ...overrides,
    });
  }

  /** A client that cannot reach Redis: every command rejects at once. */
  function unreachable(): Redis {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    down.on('error', () => undefined);
    return down;
  }

  function runOne(n: number, kind: 'success' | 'retry'): void {
    const { job, raw } = payload(n);
    state.started({ job, raw, queue: 'default' });
    if (kind === 'success') state.finished({ kind, job, raw, queue: 'default', durationMs: 1 });
    else state.finished({ kind, job, raw, queue: 'default', error: new Error('x'), json: raw, retryAtSec: 1 });
  }

  beforeEach(() => {
    clock = new ManualClock(START_MS);
    state = new ProcessState(clock);
    logger = silent();
    signals = [];
  });

  it('writes the process hash with every field the Web UI reads, Sidekiq types, TTL 60 s', async () => {
    const beat = heartbeat();
    clock.advance(5_000);
    await beat.beat();
    expect(await redis.client.smembers('processes')).to.deep.equal([IDENTITY]);
    const hash = await redis.client.hgetall(IDENTITY);
    expect(Object.keys(hash).sort()).to.deep.equal(['beat', 'busy', 'concurrency', 'info', 'kiq_errors', 'quiet', 'rss', 'rtt_us']);
    expect(hash.concurrency).to.equal('7');
    const info = JSON.parse(hash.info!);
    expect(info).to.deep.equal({
      hostname: 'web.1',
      started_at: START_MS / 1000,
      pid: process.pid,
      tag: '',
      concurrency: 7,
      capsules: {
        default: { concurrency: 5, mode: 'strict', weights: { default: 0 } },
        low: { concurrency: 2, mode: 'strict', weights: { low: 0 } },
      },
      queues: ['default', 'low'],
      weights: [{ default: 0 }, { low: 0 }],
      labels: [],
      identity: IDENTITY,
      version: PACKAGE_VERSION,
      embedded: false,
    });
    expect(Object.keys(info)).to.deep.equal(['hostname', 'started_at', 'pid', 'tag', 'concurrency', 'capsules', 'queues', 'weights', 'labels', 'identity', 'version', 'embedded']);
    expect(hash.info).to.match(/"started_at":\d+\.\d+,/);
    expect(hash).to.include({ busy: '0', quiet: 'false', rtt_us: '0' });
    expect(Number(hash.beat)).to.equal((START_MS + 5_000) / 1000);
    expect(hash.beat).to.match(/^\d+\.\d+$/);
    expect(hash.rss).to.match(/^[1-9]\d*$/);
    expect(await redis.client.ttl(IDENTITY)).to.be.within(58, 60);
  });

  it('is embedded only when nothing takes the signals (no Quiet/Stop for it in Sidekiq 7/8)', () => {
    expect(JSON.parse(heartbeat().info)).to.include({ embedded: false });
    expect(JSON.parse(heartbeat({ onSignal: undefined }).info)).to.include({ embedded: true });
  });

  it('renders started_at with a fraction even on a whole second', async () => {
    clock = new ManualClock(1_795_807_921_000);
    state = new ProcessState(clock);
    expect(heartbeat().info).to.include('"started_at":1795807921.0,');
  });

  it('reads the version from package.json', () => {
    expect(kiqVersion()).to.equal(PACKAGE_VERSION);
  });

  it('writes each running job to :workers (6.4) and :work (6.5+) with the payload as a JSON string; both absent when idle', async () => {
    const beat = heartbeat();
    const { job, raw } = payload(7);
    state.started({ job, raw, queue: 'default' });
    clock.advance(2_500);
    await beat.beat();
    for (const key of [`${IDENTITY}:workers`, `${IDENTITY}:work`]) {
      const entries = await redis.client.hgetall(key);
      expect(Object.keys(entries), key).to.have.length(1);
      const entry = JSON.parse(Object.values(entries)[0]!);
      expect(entry).to.deep.equal({ queue: 'default', payload: raw, run_at: Math.floor(START_MS / 1000) });
      expect(Number.isInteger(entry.run_at)).to.equal(true);
      expect(JSON.parse(entry.payload)).to.include({ jid: job.jid, class: 'Interop::Slow' });
      expect(await redis.client.ttl(key)).to.be.within(58, 60);
    }
    expect(await redis.client.hget(IDENTITY, 'busy')).to.equal('1');
    expect(await redis.client.hkeys(`${IDENTITY}:workers`)).to.deep.equal(await redis.client.hkeys(`${IDENTITY}:work`));

    state.finished({ kind: 'success', job, raw, queue: 'default', durationMs: 1 });
    await beat.beat();
    expect(await redis.client.exists(`${IDENTITY}:workers`, `${IDENTITY}:work`)).to.equal(0);
    expect(await redis.client.hget(IDENTITY, 'busy')).to.equal('0');
  });

  it('adds the counters to the lifetime and the UTC daily keys (5-year TTL), each only once', async () => {
    const beat = heartbeat();
    runOne(1, 'success');
    runOne(2, 'success');
    runOne(3, 'retry');
    await beat.beat();
    await beat.beat();
    expect(await redis.client.mget('stat:processed', 'stat:failed', 'stat:processed:2026-11-27', 'stat:failed:2026-11-27')).to.deep.equal(['3', '1', '3', '1']);
    expect(await redis.client.ttl('stat:processed')).to.equal(-1);
    expect(await redis.client.ttl('stat:processed:2026-11-27')).to.be.within(STAT_TTL_SEC - 2, STAT_TTL_SEC);
    expect(await redis.client.ttl('stat:failed:2026-11-27')).to.be.within(STAT_TTL_SEC - 2, STAT_TTL_SEC);
    runOne(4, 'success');
    clock.advance(86_400_000);
    await beat.beat();
    expect(await redis.client.mget('stat:processed', 'stat:processed:2026-11-28', 'stat:failed')).to.deep.equal(['4', '1', '1']);
    expect(await redis.client.exists('stat:failed:2026-11-28'), 'no key for a zero count').to.equal(0);
  });

  it('keeps the counters when the write fails and sends them with the next beat', async () => {
    const down = unreachable();
    let client: Redis = down;
    const beat = heartbeat({ redis: () => client });
    runOne(1, 'success');
    runOne(2, 'retry');
    let failure: unknown;
    await beat.beat().catch((error: unknown) => (failure = error));
    expect(failure).to.be.instanceOf(Error);
    expect(state.pending).to.deep.equal({ processed: 2, failed: 1 });
    client = redis.client;
    await beat.beat();
    expect(await redis.client.mget('stat:processed', 'stat:failed')).to.deep.equal(['2', '1']);
    expect(state.pending).to.deep.equal({ processed: 0, failed: 0 });
    down.disconnect();
  });

  it('does not resend counters of a transaction that ran with a failing command (a stat key of the wrong type)', async () => {
    await redis.client.hset('stat:failed', 'oops', '1');
    const beat = heartbeat();
    runOne(1, 'retry');
    let failure: unknown;
    await beat.beat().catch((error: unknown) => (failure = error));
    expect(failure).to.be.instanceOf(HeartbeatCommandError);
    expect(state.pending).to.deep.equal({ processed: 0, failed: 0 });
    expect(await redis.client.get('stat:processed')).to.equal('1');
    expect(await redis.client.exists(IDENTITY)).to.equal(1);
  });

  it('takes one signal per beat, oldest first, and none on a beat that must not', async () => {
    const beat = heartbeat();
    await redis.client.lpush(`${IDENTITY}-signals`, 'TSTP', 'TTIN');
    await beat.beat({ popSignal: false });
    expect(signals).to.deep.equal([]);
    await beat.beat();
    expect(signals).to.deep.equal(['TSTP']);
    await beat.beat();
    await beat.beat();
    expect(signals).to.deep.equal(['TSTP', 'TTIN']);
  });

  it('writes quiet "true" when the state is quiet', async () => {
    const beat = heartbeat();
    state.quiet = true;
    await beat.beat();
    expect(await redis.client.hget(IDENTITY, 'quiet')).to.equal('true');
  });

  it('reports the round trip of the previous beat in whole microseconds', async () => {
    const beat = heartbeat({ clock: { realMs: () => START_MS, monoMs: () => performance.now() } });
    await beat.beat();
    await beat.beat();
    expect(await redis.client.hget(IDENTITY, 'rtt_us')).to.match(/^[1-9]\d*$/);
  });

  it('as a tick: beats every 5 s, retries in 1 s after a failure, logs once per outage', async () => {
    const down = unreachable();
    let client: Redis = down;
    const tick = heartbeat({ redis: () => client }).tick();
    const once = () => toPromise(createActor(tick).start());
    expect(await once()).to.deep.equal({ nextDelay: 1_000 });
    expect(await once()).to.deep.equal({ nextDelay: 1_000 });
    expect(logger.lines.filter((line) => line.includes('heartbeat_failed'))).to.have.length(1);
    client = redis.client;
    expect(await once()).to.deep.equal({ nextDelay: 5_000 });
    expect(logger.lines.filter((line) => line.includes('heartbeat_restored'))).to.have.length(1);
    down.disconnect();
  });

  it('clear: writes the last counters, SREMs processes and deletes the hashes', async () => {
    const beat = heartbeat();
    state.started({ ...payload(1), queue: 'default' });
    await beat.beat();
    runOne(2, 'success');
    await beat.clear({ unregister: true });
    expect(await redis.client.get('stat:processed')).to.equal('1');
    expect(await redis.client.smembers('processes')).to.deep.equal([]);
    expect(await redis.client.exists(IDENTITY, `${IDENTITY}:workers`, `${IDENTITY}:work`)).to.equal(0);
  });

  it('clear: never rejects when Redis is unreachable, and logs what it could not write', async () => {
    const down = unreachable();
    const beat = heartbeat({ redis: () => down });
    runOne(1, 'success');
    await beat.clear({ unregister: true });
    expect(logger.lines.some((line) => line.includes('heartbeat_clear_failed') && line.includes('"processed":1'))).to.equal(true);
    down.disconnect();
  });
});

describe('Heartbeat of a Kiq server (real Redis)', function () {
  this.timeout(20_000);
  const redis = useRedis();
  let slowGate: GatedWorker;

  const Echo = defineWorker({ class: 'Echo', queue: 'work', perform() {} });
  const Boom = defineWorker({
    class: 'Boom',
    queue: 'work',
    perform(): never {
      throw new Error('boom');
    },
  });

  beforeEach(() => {
    slowGate = gatedWorker('Slow', 'work');
  });
  afterEach(() => slowGate.release()); // before the stops below: they wait for Slow
  const kiqs = useKiqs(() => ({ redisUrl: redis.url, queues: { work: 5, other: 3 }, workers: [Echo, Boom, slowGate.worker] as Worker[], fetchInterval: 50, pollInterval: 60_000 }));
  const server = (options: KiqOptions = {}): Promise<Kiq> => kiqs.start(options);

  const settled = (kiq: Kiq) => until(async () => (await redis.client.llen(`queue:sq|${kiq.identity}|work`)) === 0, 5_000, 'private list empty');

  it('is listed from start() on with a complete heartbeat', async () => {
    const kiq = await server();
    expect(await redis.client.sismember('processes', kiq.identity)).to.equal(1);
    const hash = await redis.client.hgetall(kiq.identity);
    const info = JSON.parse(hash.info!);
    expect(info).to.include({ identity: kiq.identity, pid: process.pid, concurrency: 8, embedded: false, tag: '' });
    expect(info.queues).to.deep.equal(['work', 'other']);
    expect(Number.isInteger(info.pid)).to.equal(true);
    expect(info.started_at).to.be.a('number').and.to.be.closeTo(Date.now() / 1000, 10);
    expect(hash).to.include({ busy: '0', quiet: 'false' });
  });

  it('shows a running job in :workers and :work, and counts executions', async () => {
    const kiq = await server();
    const slow = await kiq.enqueue(slowGate.worker, ['slowly']);
    await slowGate.started;
    await kiq[kBeat]();
    for (const key of [`${kiq.identity}:workers`, `${kiq.identity}:work`]) {
      const values = await redis.client.hvals(key);
      expect(values, key).to.have.length(1);
      const entry = JSON.parse(values[0]!);
      expect(entry.queue).to.equal('work');
      expect(Number.isInteger(entry.run_at)).to.equal(true);
      expect(entry.payload).to.be.a('string');
      expect(JSON.parse(entry.payload)).to.include({ jid: slow.jid, class: 'Slow' });
      expect(JSON.parse(entry.payload).args).to.deep.equal(['slowly']);
    }
    expect(await redis.client.hget(kiq.identity, 'busy')).to.equal('1');
    slowGate.release();
    await kiq.enqueue(Echo, [1]);
    await kiq.enqueue(Echo, [2]);
    await kiq.enqueue(Boom, []);
    await until(async () => (await redis.client.zcard('retry')) === 1, 5_000, 'retry');
    await settled(kiq);
    await kiq[kBeat]();
    expect(await redis.client.exists(`${kiq.identity}:workers`, `${kiq.identity}:work`)).to.equal(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(await redis.client.mget('stat:processed', 'stat:failed', `stat:processed:${today}`, `stat:failed:${today}`)).to.deep.equal(['4', '1', '4', '1']);
    expect(await redis.client.ttl(`stat:processed:${today}`)).to.be.within(STAT_TTL_SEC - 5, STAT_TTL_SEC);
  });

  it('TSTP: quiet "true" on the next beat and nothing new is fetched; configure({ quiet: false }) resumes', async () => {
    const kiq = await server();
    await redis.client.lpush(`${kiq.identity}-signals`, 'TSTP');
    await kiq[kBeat]();
    await kiq[kBeat]();
    expect(await redis.client.hget(kiq.identity, 'quiet')).to.equal('true');
    await kiq.enqueue(Echo, ['while quiet'], { confirm: true });
    // an observation window: a fetcher that is not quiet takes a job within one 50 ms wait
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await redis.client.llen('queue:work')).to.equal(1);
    kiq.configure({ quiet: false });
    await until(async () => (await redis.client.llen('queue:work')) === 0, 5_000, 'fetched after resume');
    await kiq[kBeat]();
    expect(await redis.client.hget(kiq.identity, 'quiet')).to.equal('false');
  });

  it('TERM: stops gracefully and unregisters', async () => {
    const kiq = await server();
    const stopping = deferred(5_000, 'stopping event');
    kiq.on('stopping', () => stopping.resolve());
    await redis.client.lpush(`${kiq.identity}-signals`, 'TERM');
    await kiq[kBeat]();
    await stopping.promise;
    await until(() => kiq.state === 'stopped', 10_000, 'stopped');
    expect(await redis.client.sismember('processes', kiq.identity)).to.equal(0);
    expect(await redis.client.exists(kiq.identity)).to.equal(0);
  });

  it('TTIN: logs the running jobs and the actor tree', async () => {
    const logger = silent();
    const kiq = await server({ logger });
    const slow = await kiq.enqueue(slowGate.worker, []);
    await slowGate.started;
    await redis.client.lpush(`${kiq.identity}-signals`, 'TTIN', 'HUP');
    await kiq[kBeat]();
    const dump = logger.lines.find((line) => line.includes('"event":"dump"'));
    expect(dump).to.be.a('string').and.to.include(slow.jid);
    const parsed = JSON.parse(dump!);
    expect(parsed.running).to.have.length(1);
    expect(parsed.running[0]).to.include({ jid: slow.jid, class: 'Slow', queue: 'work' });
    expect(parsed.tree.id).to.equal('kiq');
    expect(parsed.tree.children.map((child: { id: string }) => child.id)).to.include.members(['flusher', 'beat', 'queue:work']);
    await kiq[kBeat]();
    expect(logger.lines.some((line) => line.includes('"event":"signal_ignored"') && line.includes('HUP'))).to.equal(true);
  });

  it('stop(): SREM processes and no running-job hashes left', async () => {
    const kiq = await server();
    await kiq.enqueue(slowGate.worker, []);
    await slowGate.started;
    await kiq[kBeat]();
    expect(await redis.client.exists(`${kiq.identity}:work`)).to.equal(1);
    const stopping = kiq.stop({ timeout: 5_000 });
    setTimeout(() => slowGate.release(), 50);
    await stopping;
    expect(await redis.client.sismember('processes', kiq.identity)).to.equal(0);
    expect(await redis.client.exists(kiq.identity, `${kiq.identity}:workers`, `${kiq.identity}:work`)).to.equal(0);
    expect(await redis.client.get('stat:processed'), 'the last count is flushed at stop').to.equal('1');
  });

  it('a server that could not reach Redis stops without throwing', async () => {
    const kiq = new Kiq({ redisUrl: 'redis://127.0.0.1:1', queues: { work: 1 }, logger: silent() });
    let failure: unknown;
    await kiq.start().catch((error: unknown) => (failure = error));
    expect(failure).to.be.instanceOf(Error);
    await kiq.stop();
    expect(kiq.state).to.equal('stopped');
  });

  it('the real ticker beats within 5 s and takes a signal', async () => {
    const logger = silent();
    const kiq = await server({ logger });
    const first = await redis.client.hget(kiq.identity, 'beat');
    await redis.client.lpush(`${kiq.identity}-signals`, 'TTIN');
    await until(async () => (await redis.client.hget(kiq.identity, 'beat')) !== first, 7_000, 'the 5 s beat', 50);
    await until(() => logger.lines.some((line) => line.includes('"event":"dump"')), 1_000, 'the dump');
  });
});
