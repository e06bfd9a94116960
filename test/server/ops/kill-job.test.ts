import { expect } from 'chai';
import { DEAD, privateQueueKey } from '../../../src/redis/keys.js';
import { killJob } from '../../../src/server/ops/kill-job.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY, NOW, NOW_TEXT, jobJson } from './support.js';

const LIMIT = 10_000;
const SIX_MONTHS_MS = 180 * 86_400_000;

describe('server ops: killJob', () => {
  const redis = useRedis();
  const privateList = privateQueueKey(IDENTITY, 'default');

  async function kill(jid: string, nowSec: number, limit = LIMIT, timeoutMs = SIX_MONTHS_MS): Promise<void> {
    const raw = jobJson(jid);
    await redis.client.lpush(privateList, raw);
    await killJob(redis.client, IDENTITY, { queue: 'default', raw }, `${raw.slice(0, -1)},"error_class":"Error"}`, nowSec, limit, timeoutMs);
  }

  it('adds the job to dead (score now) and takes it out of the private list in one step', async () => {
    await redis.client.lpush(privateList, jobJson('other'));
    await kill('a', NOW);
    const dead = `${jobJson('a').slice(0, -1)},"error_class":"Error"}`;
    expect(await redis.client.zrange(DEAD, '0', '-1', 'WITHSCORES')).to.deep.equal([dead, NOW_TEXT]);
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('other')]);
  });

  it('trims by size as Sidekiq does: limit 3, five kills leave the two newest', async () => {
    for (let i = 1; i <= 5; i += 1) await kill(`j${i}`, NOW + i, 3);
    const left = await redis.client.zrange(DEAD, '0', '-1');
    expect(left.map((json) => (JSON.parse(json) as { jid: string }).jid)).to.deep.equal(['j4', 'j5']);
  });

  it('trims by age: entries at or before now minus the timeout go', async () => {
    await redis.client.zadd(DEAD, NOW - 200, 'old', NOW - 100, 'edge', NOW - 50, 'recent');
    await kill('a', NOW, LIMIT, 100_000);
    const left = await redis.client.zrange(DEAD, '0', '-1');
    expect(left).to.have.length(2);
    expect(left[0]).to.equal('recent');
  });

  it('stores a payload that is not JSON as it is', async () => {
    const raw = 'not json';
    await redis.client.lpush(privateList, raw);
    await killJob(redis.client, IDENTITY, { queue: 'default', raw }, raw, NOW, LIMIT, SIX_MONTHS_MS);
    expect(await redis.client.zrange(DEAD, '0', '-1')).to.deep.equal([raw]);
    expect(await redis.client.exists(privateList)).to.equal(0);
  });

  it('writes nothing when the job is no longer in flight', async () => {
    const raw = jobJson('gone');
    await killJob(redis.client, IDENTITY, { queue: 'default', raw }, raw, NOW, LIMIT, SIX_MONTHS_MS);
    expect(await redis.client.exists(DEAD)).to.equal(0);
  });

  it('rejects a dead limit below 1', async () => {
    const error = await killJob(redis.client, IDENTITY, { queue: 'default', raw: 'x' }, 'x', NOW, 0, SIX_MONTHS_MS).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RangeError);
  });
});
