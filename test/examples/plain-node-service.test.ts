/** test/examples/plain-node-service.ts: an HTTP request puts one job in Redis. */
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';
import { startService } from './plain-node-service.js';

describe('example: plain Node service (node:http + enqueue-only Kiq)', () => {
  const redis = useRedis();

  it('enqueues one WelcomeMail job per POST /signup, answered with its jid', async () => {
    const service = await startService({ redisUrl: redis.url });
    try {
      const res = await fetch(`${service.url}/signup?email=a@b.c`, { method: 'POST' });
      expect(res.status).to.equal(202);
      const { jid } = (await res.json()) as { jid: string };
      const queued = (await redis.client.lrange('queue:mailers', 0, -1)).map((raw) => JSON.parse(raw) as Record<string, unknown>);
      expect(queued).to.have.length(1);
      expect(queued[0]).to.include({ class: 'WelcomeMail', queue: 'mailers', jid });
      expect(queued[0]!.args).to.deep.equal(['a@b.c']);
      expect(await redis.client.smembers('queues')).to.deep.equal(['mailers']);
      expect((await fetch(`${service.url}/other`)).status).to.equal(404);
    } finally {
      await service.close();
    }
  });
});
