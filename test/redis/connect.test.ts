import { expect } from 'chai';
import { connectRedis, RedisUnreachableError, redisUrlProblem } from '../../src/redis/connect.js';
import { useRedis } from '../support/redis.js';

describe('connectRedis (src/redis/connect.ts)', () => {
  const redis = useRedis();

  it('redisUrlProblem names what is wrong with a URL, its password redacted; nothing for a good one', () => {
    expect(redisUrlProblem('redis://:pw@cache:6379/2')).to.equal(undefined);
    expect(redisUrlProblem('rediss://cache')).to.equal(undefined);
    expect(redisUrlProblem('http://u:secret@cache')).to.match(/^bad Redis URL "http:\/\/u:\*\*\*@cache\/?": unsupported scheme "http" \(expected redis:\/\//);
    expect(redisUrlProblem('redis://cache:0')).to.include('bad port 0');
    expect(redisUrlProblem('redis://cache/x')).to.include('database "x" is not a number');
    expect(redisUrlProblem('nonsense')).to.include('not a URL');
  });

  it('resolves with a ready client named as asked; a bad URL is a TypeError', async () => {
    const client = await connectRedis(redis.url, { connectionName: 'kiq:connect-test' });
    try {
      expect(await client.ping()).to.equal('PONG');
      expect(await client.client('GETNAME')).to.equal('kiq:connect-test');
    } finally {
      await client.quit();
    }
    let thrown: unknown;
    await connectRedis('http://cache').catch((error: unknown) => (thrown = error));
    expect(thrown).to.be.instanceOf(TypeError);
  });

  it('an unreachable Redis rejects with RedisUnreachableError naming the URL, password redacted', async () => {
    let thrown: unknown;
    await connectRedis('redis://:secret@127.0.0.1:1/0').catch((error: unknown) => (thrown = error));
    expect(thrown).to.be.instanceOf(RedisUnreachableError);
    expect((thrown as Error).message).to.match(/^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: connection refused/);
  });
});
