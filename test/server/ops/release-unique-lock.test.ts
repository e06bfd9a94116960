import { expect } from 'chai';
import { uniqueKey } from '../../../src/redis/keys.js';
import { releaseUniqueLock } from '../../../src/server/ops/release-unique-lock.js';
import { useRedis } from '../../support/redis.js';

describe('server ops: releaseUniqueLock', () => {
  const redis = useRedis();
  const lock = uniqueKey('d1g35t');

  it('deletes the lock while this jid holds it', async () => {
    await redis.client.set(lock, 'jid-a', 'PX', 60_000);
    expect(await releaseUniqueLock(redis.client, lock, 'jid-a')).to.equal(true);
    expect(await redis.client.exists(lock)).to.equal(0);
  });

  it('leaves a lock another jid holds', async () => {
    await redis.client.set(lock, 'jid-b', 'PX', 60_000);
    expect(await releaseUniqueLock(redis.client, lock, 'jid-a')).to.equal(false);
    expect(await redis.client.get(lock)).to.equal('jid-b');
  });

  it('reports false for a lock that is gone', async () => {
    expect(await releaseUniqueLock(redis.client, lock, 'jid-a')).to.equal(false);
  });
});
