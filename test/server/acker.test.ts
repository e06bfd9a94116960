import { expect } from 'chai';
import { Redis } from 'ioredis';
import { ScriptError } from '../../src/errors.js';
import type { RawJob } from '../../src/job/raw.js';
import { privateQueueKey, queueKey } from '../../src/redis/keys.js';
import { Acker, FETCH_WAIT_MS, type AckItem } from '../../src/server/acker.js';
import { ackJobs, fetchJobs } from '../../src/server/ops/index.js';
import { useRedis } from '../support/redis.js';
import { writeBeat } from '../support/write-beat.js';
import { until } from '../support/wait.js';
import { IDENTITY, NOW, jobJson } from './ops/support.js';

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Acker: acks riding in fetches (real Redis)', () => {
  const redis = useRedis();
  const privateList = privateQueueKey(IDENTITY, 'default');
  const offlines: Redis[] = [];

  beforeEach(() => writeBeat(redis.client, IDENTITY, NOW));
  afterEach(() => {
    for (const offline of offlines.splice(0)) offline.disconnect();
  });

  /** An Acker writing with ackJobs on the test DB, recording its own writes, `written` and `onResult`. */
  function acker() {
    const writes: (readonly AckItem[])[] = [];
    const written: RawJob[] = [];
    const results: unknown[] = [];
    const it = new Acker(
      (client, items) => {
        writes.push(items);
        return ackJobs(client, IDENTITY, items);
      },
      () => redis.client,
      { written: (items) => written.push(...items.map((item) => item.raw)), onResult: (error) => results.push(error) },
    );
    return { acker: it, writes, written, results };
  }

  /** A connection whose every command fails at once. */
  function offline(): Redis {
    const client = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    offlines.push(client);
    return client;
  }

  const fetchCarrying = (a: Acker, client: Redis, max = 5) => a.carry('default', (acks) => fetchJobs(client, IDENTITY, 'default', max, acks));

  it('a fetch started before the Acker writes carries its acks: one script call, no separate write', async () => {
    const { acker: a, writes, written, results } = acker();
    await redis.client.lpush(privateList, jobJson('done1'), jobJson('done2'));
    await redis.client.lpush(queueKey('default'), jobJson('next'));
    a.add({ queue: 'default', raw: jobJson('done1') });
    a.add({ queue: 'default', raw: jobJson('done2') });
    // as queue-logic's job.finished flush: one setImmediate after the add
    await immediate();
    expect(await fetchCarrying(a, redis.client)).to.deep.equal([jobJson('next')]);
    expect(written).to.deep.equal([jobJson('done1'), jobJson('done2')]);
    expect(results).to.deep.equal([undefined]);
    await a.settled();
    for (let i = 0; i < 3; i++) await immediate();
    expect(writes).to.deep.equal([]);
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('next')]);
  });

  it('takes only the acks of the fetched queue', async () => {
    const { acker: a, writes } = acker();
    await redis.client.lpush(privateQueueKey(IDENTITY, 'other'), jobJson('o', 'other'));
    a.add({ queue: 'other', raw: jobJson('o', 'other') });
    a.add({ queue: 'default', raw: jobJson('d') });
    await fetchCarrying(a, redis.client);
    await a.settled();
    expect(writes).to.deep.equal([[{ queue: 'other', raw: jobJson('o', 'other') }]]);
    expect(await redis.client.exists(privateQueueKey(IDENTITY, 'other'))).to.equal(0);
  });

  it('writes acks no fetch took on its own, two immediates after the add', async () => {
    const { acker: a, writes } = acker();
    a.add({ queue: 'default', raw: jobJson('done') });
    await immediate();
    expect(writes).to.have.length(0); // a fetch from this tick's job.finished flush may still take it
    await immediate();
    expect(writes).to.have.length(1);
    await a.settled();
  });

  it('a write scheduled for acks a fetch took does not send the next acks alone before the fetch they wait for', async () => {
    const { acker: a, writes, written } = acker();
    const round = (n: number) => ({ queue: 'default', raw: jobJson(`done${n}`) });
    const taken: (readonly RawJob[] | undefined)[] = [];
    const fetch = () => a.carry('default', (acks) => (taken.push(acks?.raws), acks?.applied(), Promise.resolve([])));
    // round 1: the add schedules a write two immediates later; the fetch of the
    // job.finished flush (one immediate) takes the ack, and its reply comes at
    // once: round 2's job finishes, and its fetch is a job.finished flush away
    a.add(round(1));
    const secondFetch = new Promise<void>((resolve) =>
      setImmediate(() => {
        void fetch().then(() => {
          a.add(round(2));
          setImmediate(() => void fetch().then(() => resolve()));
        });
      }),
    );
    await secondFetch;
    await a.settled();
    for (let i = 0; i < 3; i++) await immediate();
    expect(taken, 'each fetch carried its round').to.deep.equal([[jobJson('done1')], [jobJson('done2')]]);
    expect(writes, 'no write of its own').to.deep.equal([]);
    expect(written).to.deep.equal([jobJson('done1'), jobJson('done2')]);
  });

  it('acks that come due while a fetch is in flight wait for it and ride in the fetch that follows it', async () => {
    const { acker: a, writes, written } = acker();
    await redis.client.lpush(privateList, jobJson('done'));
    await redis.client.lpush(queueKey('default'), jobJson('a'), jobJson('b'));
    // a fetch in flight whose reply the test holds back
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = a.carry('default', async (acks) => {
      expect(acks, 'nothing was pending when it started').to.equal(undefined);
      await gate;
      return fetchJobs(redis.client, IDENTITY, 'default', 1);
    });
    a.add({ queue: 'default', raw: jobJson('done') });
    for (let i = 0; i < 5; i++) await immediate();
    expect(writes, 'the due write waits for the fetch in flight').to.deep.equal([]);
    expect(a.pending).to.equal(1);
    // as the fetcher: the next fetch starts as soon as the first one's reply is in
    const second = first.then(() => fetchCarrying(a, redis.client, 1));
    release();
    await second;
    expect(written).to.deep.equal([jobJson('done')]);
    await a.settled();
    for (let i = 0; i < 3; i++) await immediate();
    expect(writes, 'no write of its own').to.deep.equal([]);
    expect(await redis.client.lrange(privateList, 0, -1)).to.have.members([jobJson('a'), jobJson('b')]);
  });

  it('waits for a fetch in flight only once: with no fetch after it, the acks are written alone', async () => {
    const { acker: a, writes } = acker();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = a.carry('default', () => gate.then(() => []));
    a.add({ queue: 'default', raw: jobJson('done') });
    for (let i = 0; i < 3; i++) await immediate();
    expect(writes).to.deep.equal([]);
    // a second fetch already in flight when the first ends does not make the write wait again
    const other = a.carry('other', () => new Promise<never[]>(() => undefined));
    release();
    await first;
    await until(() => writes.length === 1, 2000);
    expect(writes).to.deep.equal([[{ queue: 'default', raw: jobJson('done') }]]);
    void other;
  });

  it(`a fetch that never ends (a stalled connection) holds the acks at most ${FETCH_WAIT_MS} ms`, async () => {
    const { acker: a, writes } = acker();
    void a.carry('default', () => new Promise<never[]>(() => undefined));
    const added = performance.now();
    a.add({ queue: 'default', raw: jobJson('done') });
    await until(() => writes.length === 1, 2000);
    expect(performance.now() - added).to.be.at.least(FETCH_WAIT_MS - 5);
    expect(writes).to.deep.equal([[{ queue: 'default', raw: jobJson('done') }]]);
  });

  it('puts the acks of a failed fetch back; they land later and the outage is told', async () => {
    const { acker: a, writes, written, results } = acker();
    await redis.client.lpush(privateList, jobJson('done'));
    a.add({ queue: 'default', raw: jobJson('done') });
    const error = await fetchCarrying(a, offline()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(Error);
    expect(a.pending).to.equal(1);
    expect(written).to.deep.equal([]);
    expect(results).to.have.length(1);
    expect(results[0]).to.equal(error);
    await a.settled();
    expect(writes).to.deep.equal([[{ queue: 'default', raw: jobJson('done') }]]);
    expect(written).to.deep.equal([jobJson('done')]);
    expect(results).to.have.length(2);
    expect(results[1]).to.equal(undefined);
    expect(await redis.client.exists(privateList)).to.equal(0);
  });

  it('the acks of a failed fetch ride in the next fetch if it comes first', async () => {
    const { acker: a, writes, written } = acker();
    await redis.client.lpush(privateList, jobJson('done'));
    a.add({ queue: 'default', raw: jobJson('done') });
    await fetchCarrying(a, offline()).catch(() => undefined);
    await fetchCarrying(a, redis.client);
    expect(written).to.deep.equal([jobJson('done')]);
    await a.settled();
    expect(writes).to.deep.equal([]);
    expect(await redis.client.exists(privateList)).to.equal(0);
  });

  it('settled() waits for acks riding in a fetch', async () => {
    const { acker: a, written } = acker();
    await redis.client.lpush(privateList, jobJson('done'));
    a.add({ queue: 'default', raw: jobJson('done') });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fetching = a.carry('default', async (acks) => {
      await gate;
      return fetchJobs(redis.client, IDENTITY, 'default', 1, acks);
    });
    let settled = false;
    void a.settled().then(() => (settled = true));
    for (let i = 0; i < 5; i++) await immediate();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).to.equal(false);
    release();
    await fetching;
    await until(() => settled, 1000, 'settled');
    expect(written).to.deep.equal([jobJson('done')]);
    expect(await redis.client.exists(privateList)).to.equal(0);
  });

  it('acks applied by a fetch refused for a missing heartbeat are written, not retried', async () => {
    const { acker: a, writes, written, results } = acker();
    await redis.client.lpush(privateList, jobJson('done'));
    await redis.client.del(IDENTITY);
    a.add({ queue: 'default', raw: jobJson('done') });
    const error = await fetchCarrying(a, redis.client).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ScriptError);
    expect(written).to.deep.equal([jobJson('done')]);
    expect(results).to.deep.equal([undefined]);
    expect(a.pending).to.equal(0);
    await a.settled();
    for (let i = 0; i < 3; i++) await immediate();
    expect(writes).to.deep.equal([]);
    expect(await redis.client.exists(privateList)).to.equal(0);
  });

  it('acks carried by a fetch of a paused queue are written', async () => {
    const { acker: a, writes, written } = acker();
    await redis.client.lpush(privateList, jobJson('done'));
    await redis.client.sadd('paused', 'default');
    a.add({ queue: 'default', raw: jobJson('done') });
    expect(await fetchCarrying(a, redis.client)).to.deep.equal([]);
    expect(written).to.deep.equal([jobJson('done')]);
    await a.settled();
    expect(writes).to.deep.equal([]);
    expect(await redis.client.exists(privateList)).to.equal(0);
  });
});
