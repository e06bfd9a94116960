import { expect } from 'chai';
import { scanKeys, scanSortedSet } from '../../src/redis/scan.js';
import { useRedis } from '../support/redis.js';

describe('SCAN loops (src/redis/scan.ts)', () => {
  const redis = useRedis();

  it('scanKeys finds every key matching the pattern, over many SCAN pages, and no other', async () => {
    const pipeline = redis.client.pipeline();
    for (let i = 0; i < 2500; i++) pipeline.set(`queue:sq|host|q${i}`, '1');
    pipeline.set('queue:default', '1').set('other', '1');
    await pipeline.exec();
    const keys = await scanKeys(redis.client, 'queue:sq|*');
    expect(keys).to.have.length(2500);
    expect(new Set(keys).size).to.equal(2500);
    expect(keys.every((key) => key.startsWith('queue:sq|host|q'))).to.equal(true);
    expect(await scanKeys(redis.client, 'nothing:*')).to.deep.equal([]);
  });

  it('scanSortedSet gives the matching members of a sorted set with their scores', async () => {
    const members: (string | number)[] = [];
    for (let i = 0; i < 1500; i++) members.push(i + 0.5, `{"class":"${i % 2 ? 'Demo::A' : 'Other'}","n":${i}}`);
    await redis.client.zadd('dead', ...members);
    const found = await scanSortedSet(redis.client, 'dead', '*Demo::*');
    expect(found.size).to.equal(750);
    expect(found.get('{"class":"Demo::A","n":1}')).to.equal(1.5);
    expect([...found.keys()].every((member) => member.includes('Demo::A'))).to.equal(true);
  });
});
