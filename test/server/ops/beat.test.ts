import { expect } from 'chai';
import { PROCESSES, processKey } from '../../../src/redis/keys.js';
import { writeBeat } from '../../../src/server/ops/beat.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY } from './support.js';

describe('server ops: writeBeat', () => {
  const redis = useRedis();

  it('writes beat as float seconds with a 60 s TTL', async () => {
    await writeBeat(redis.client, IDENTITY, 1_795_807_920);
    expect(await redis.client.hgetall(processKey(IDENTITY))).to.deep.equal({ beat: '1795807920.0' });
    expect(await redis.client.ttl(processKey(IDENTITY))).to.be.within(59, 60);
  });

  it('keeps the fields the heartbeat reporter wrote', async () => {
    await redis.client.hset(processKey(IDENTITY), 'info', '{}', 'busy', '3');
    await writeBeat(redis.client, IDENTITY, 1_795_807_920.5);
    expect(await redis.client.hgetall(processKey(IDENTITY))).to.deep.equal({ info: '{}', busy: '3', beat: '1795807920.5' });
  });

  it('does not add the process to the processes set', async () => {
    await writeBeat(redis.client, IDENTITY, 1_795_807_920);
    expect(await redis.client.exists(PROCESSES)).to.equal(0);
  });
});
