/**
 * The dashboard's actions over real Redis: retry now / add to queue / kill /
 * delete for one entry, for a selection and for a whole set (with its
 * confirmation step), queue pause / unpause / clear / delete one job, and
 * quiet / stop through the processes' signal lists.
 */
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';
import { get, post, serve, sidekiqJob, writeProcess, type Served } from './support.js';

describe('dashboard actions', () => {
  const redis = useRedis();
  let web: Served;
  const now = Date.now() / 1000;

  beforeEach(async () => {
    web = await serve({ redisUrl: redis.url });
  });
  afterEach(async () => {
    await web.close();
  });

  async function retryEntry(jid: string, score: number, extra: Record<string, unknown> = {}): Promise<string> {
    const member = JSON.stringify(sidekiqJob({ jid, retry_count: 3, error_class: 'E', error_message: 'm', failed_at: now, ...extra }));
    await redis.client.zadd('retry', String(score), member);
    return member;
  }

  const keyOf = (score: number, jid: string) => `${score}-${jid}`;

  it('retry now moves the entry to its queue with retry_count - 1; the redirect carries a notice', async () => {
    await retryEntry('r1', now + 60, { queue: 'critical' });
    const res = await post(`${web.base}/retries/${keyOf(now + 60, 'r1')}/retry`, {}, web.handler.token);
    expect(res.status).to.equal(303);
    expect(res.location).to.equal('/retries?done=retried&n=1');
    expect(await redis.client.zcard('retry')).to.equal(0);
    const [pushed] = await redis.client.lrange('queue:critical', 0, -1);
    expect(JSON.parse(pushed!)).to.include({ jid: 'r1', retry_count: 2 });
    expect(await redis.client.sismember('queues', 'critical')).to.equal(1);
    expect((await get(`${web.base}${res.location}`)).text).to.include('Retried: 1');
  });

  it('kill moves a retry to dead (scored now); a second kill of the same entry does nothing', async () => {
    const member = await retryEntry('k1', now + 60);
    const url = `${web.base}/retries/${keyOf(now + 60, 'k1')}/kill`;
    expect((await post(url, {}, web.handler.token)).location).to.equal('/retries?done=killed&n=1');
    expect(await redis.client.zcard('retry')).to.equal(0);
    const score = Number(await redis.client.zscore('dead', member));
    expect(score).to.be.closeTo(Date.now() / 1000, 30);
    expect((await post(url, {}, web.handler.token)).location).to.equal('/retries?done=gone&n=0');
    expect(await redis.client.zcard('dead')).to.equal(1);
  });

  it('scheduled: add to queue keeps retry_count; delete removes exactly that entry', async () => {
    await redis.client.zadd('schedule', String(now + 10), JSON.stringify(sidekiqJob({ jid: 's1', retry_count: 1 })));
    await redis.client.zadd('schedule', String(now + 20), JSON.stringify(sidekiqJob({ jid: 's2' })));
    await post(`${web.base}/scheduled/${keyOf(now + 10, 's1')}/add`, {}, web.handler.token);
    expect(JSON.parse((await redis.client.lindex('queue:default', 0))!)).to.include({ jid: 's1', retry_count: 1 });
    await post(`${web.base}/scheduled/${keyOf(now + 20, 's2')}/delete`, {}, web.handler.token);
    expect(await redis.client.zcard('schedule')).to.equal(0);
    expect(await redis.client.llen('queue:default')).to.equal(1);
    // an action a page does not offer is not there
    expect((await post(`${web.base}/scheduled/${keyOf(now + 20, 's2')}/kill`, {}, web.handler.token)).status).to.equal(404);
  });

  it('bulk: retry and delete the selected entries only', async () => {
    for (let i = 0; i < 5; i++) await retryEntry(`b${i}`, now + i);
    await post(`${web.base}/retries/bulk`, { action: 'retry', key: [keyOf(now, 'b0'), keyOf(now + 1, 'b1')] }, web.handler.token);
    expect(await redis.client.llen('queue:default')).to.equal(2);
    const res = await post(`${web.base}/retries/bulk`, { action: 'delete', key: [keyOf(now + 2, 'b2'), keyOf(now + 3, 'b3')] }, web.handler.token);
    expect(res.location).to.equal('/retries?done=deleted&n=2');
    const left = await redis.client.zrange('retry', '0', '-1');
    expect(left.map((m) => (JSON.parse(m) as { jid: string }).jid)).to.deep.equal(['b4']);
  });

  it('retry-all and delete-all ask for confirmation first (no JavaScript), then act', async () => {
    for (let i = 0; i < 3; i++) await redis.client.zadd('dead', String(now - i), JSON.stringify(sidekiqJob({ jid: `d${i}` })));
    const ask = await post(`${web.base}/dead/all/retry`, { confirm: '' }, web.handler.token);
    expect(ask.status).to.equal(200);
    expect(ask.text).to.include('Please confirm').and.include('name="confirm" value="yes"');
    expect(await redis.client.zcard('dead')).to.equal(3);
    const done = await post(`${web.base}/dead/all/retry`, { confirm: 'yes' }, web.handler.token);
    expect(done.location).to.equal('/dead?done=retried&n=3');
    expect(await redis.client.llen('queue:default')).to.equal(3);
    await redis.client.zadd('dead', String(now), JSON.stringify(sidekiqJob({ jid: 'd9' })));
    await post(`${web.base}/morgue/all/delete`, { confirm: 'yes' }, web.handler.token);
    expect(await redis.client.exists('dead')).to.equal(0);
  });

  it('queues: pause and unpause (Sidekiq Pro `paused` set), delete one job by its bytes, clear after confirmation', async () => {
    await redis.client.sadd('queues', 'mailers');
    const jobs = [0, 1, 2].map((i) => JSON.stringify(sidekiqJob({ queue: 'mailers', jid: `m${i}` })));
    await redis.client.lpush('queue:mailers', ...jobs);
    await post(`${web.base}/queues/mailers/pause`, {}, web.handler.token);
    expect(await redis.client.sismember('paused', 'mailers')).to.equal(1);
    await post(`${web.base}/queues/mailers/unpause`, {}, web.handler.token);
    expect(await redis.client.sismember('paused', 'mailers')).to.equal(0);
    await post(`${web.base}/queues/mailers/delete`, { job: jobs[1]! }, web.handler.token);
    expect(await redis.client.lrange('queue:mailers', 0, -1)).to.deep.equal([jobs[2], jobs[0]]);
    expect((await post(`${web.base}/queues/mailers/clear`, { confirm: '' }, web.handler.token)).text).to.include('Please confirm');
    expect(await redis.client.llen('queue:mailers')).to.equal(2);
    const cleared = await post(`${web.base}/queues/mailers/clear`, { confirm: 'yes' }, web.handler.token);
    expect(cleared.location).to.equal('/queues?done=cleared&n=2');
    expect(await redis.client.exists('queue:mailers')).to.equal(0);
    expect(await redis.client.sismember('queues', 'mailers')).to.equal(0);
  });

  it('quiet and stop push TSTP / TERM to the live processes signal lists, one or all', async () => {
    await writeProcess(redis.client, 'a:1:000000000001', {});
    await writeProcess(redis.client, 'b:2:000000000002', {});
    await post(`${web.base}/busy/quiet`, { identity: 'a:1:000000000001' }, web.handler.token);
    expect(await redis.client.lrange('a:1:000000000001-signals', 0, -1)).to.deep.equal(['TSTP']);
    expect(await redis.client.exists('b:2:000000000002-signals')).to.equal(0);
    const all = await post(`${web.base}/busy/stop`, { all: '1' }, web.handler.token);
    expect(all.location).to.equal('/busy?done=stopped&n=2');
    expect(await redis.client.lrange('b:2:000000000002-signals', 0, -1)).to.deep.equal(['TERM']);
    expect(await redis.client.ttl('b:2:000000000002-signals')).to.be.within(1, 60);
    expect((await post(`${web.base}/busy/quiet`, { identity: 'gone:3:x' }, web.handler.token)).location).to.equal('/busy?done=gone&n=0');
  });
});
