import { expect } from 'chai';
import { ScriptError } from '../../../src/errors.js';
import { RETRY, privateQueueKey } from '../../../src/redis/keys.js';
import { retryJob } from '../../../src/server/ops/retry-job.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY, NOW, jobJson } from './support.js';

describe('server ops: retryJob', () => {
  const redis = useRedis();
  const privateList = privateQueueKey(IDENTITY, 'default');
  const raw = jobJson('a');
  const failed = JSON.stringify({ ...JSON.parse(raw), error_class: 'Error', error_message: 'boom', failed_at: NOW, retry_count: 0 });

  it('adds the failed job to retry and takes it out of the private list in one step', async () => {
    await redis.client.lpush(privateList, jobJson('other'), raw);
    await retryJob(redis.client, IDENTITY, { queue: 'default', raw }, failed, 1_795_807_937);
    expect(await redis.client.zrange(RETRY, '0', '-1', 'WITHSCORES')).to.deep.equal([failed, '1795807937']);
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([jobJson('other')]);
  });

  it('keeps the fractional part of the retry time', async () => {
    await redis.client.lpush(privateList, raw);
    await retryJob(redis.client, IDENTITY, { queue: 'default', raw }, failed, 1_795_807_937.125);
    expect(await redis.client.zscore(RETRY, failed)).to.equal('1795807937.125');
  });

  it('writes nothing when the job is no longer in flight (it was requeued and will run again)', async () => {
    await retryJob(redis.client, IDENTITY, { queue: 'default', raw }, failed, NOW);
    expect(await redis.client.exists(RETRY)).to.equal(0);
  });

  it('leaves the job in flight when the retry write fails', async () => {
    await redis.client.lpush(privateList, raw);
    await redis.client.set(RETRY, 'not a zset');
    const error = await retryJob(redis.client, IDENTITY, { queue: 'default', raw }, failed, NOW).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ScriptError);
    expect(await redis.client.lrange(privateList, 0, -1)).to.deep.equal([raw]);
  });
});
