/**
 * test/examples/mixed-ruby-node: Node enqueues Billing::Invoice, the real Ruby
 * Sidekiq performs it and pushes Shipment, Kiq performs that.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Kiq } from '../../../src/index.js';
import { pushWithRuby, requireSidekiqOrSkip, runSidekiq } from '../../interop/sidekiq.js';
import { useRedis } from '../../support/redis.js';
import { invoice, Shipment, shipped } from './node-worker.js';

const RUBY_WORKER = fileURLToPath(new URL('./worker.rb', import.meta.url));
const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('example: mixed Ruby/Node', function () {
  this.timeout(60_000);
  const redis = useRedis();
  before(function () {
    requireSidekiqOrSkip(this);
  });
  beforeEach(() => shipped.splice(0));

  it('Node enqueues Billing::Invoice, Ruby performs it and pushes Shipment, Node performs that', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { shipping: 2 }, workers: [Shipment], fetchInterval: 100, logger: quietLogger });
    await kiq.start();
    try {
      const receipt = await invoice(kiq, 'order-1', 4200);
      expect(receipt.status).to.equal('enqueued');
      const run = await runSidekiq({
        redisUrl: redis.url,
        queues: ['billing'],
        require: RUBY_WORKER,
        timeoutMs: 30_000,
        until: async () => (await redis.client.llen('mixed:invoiced')) === 1,
      });
      expect(run.conditionMet, run.log).to.equal(true);
      expect(run.exitCode, run.log).to.equal(0);
      expect(await redis.client.lrange('mixed:invoiced', 0, -1)).to.deep.equal([JSON.stringify(['order-1', 4200])]);
      await until('Shipment performed by Node', () => shipped.length === 1);
      expect(shipped).to.deep.equal(['order-1']);
    } finally {
      await kiq.stop();
    }
  });

  it('a Shipment pushed by Ruby (Sidekiq::Client.push) is performed by Node once', async () => {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { shipping: 2 }, workers: [Shipment], fetchInterval: 100, logger: quietLogger });
    await kiq.start();
    try {
      await pushWithRuby(redis.url, { queue: 'shipping', class: 'Shipment', args: ['order-2'] });
      await until('Shipment performed by Node', () => shipped.length === 1);
      expect(shipped).to.deep.equal(['order-2']);
    } finally {
      await kiq.stop();
    }
    expect(shipped).to.deep.equal(['order-2']);
  });
});
