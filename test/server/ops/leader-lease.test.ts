import { expect } from 'chai';
import { LEADER } from '../../../src/redis/keys.js';
import { claimLease, renewLease, resignLease } from '../../../src/server/ops/leader-lease.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY, OTHER } from './support.js';

describe('server ops: the leader lease on dear-leader', () => {
  const redis = useRedis();

  describe('claimLease', () => {
    it('takes a free key: value = identity, PTTL = ttl', async () => {
      expect(await claimLease(redis.client, IDENTITY, 30_000)).to.deep.include({ won: true });
      expect(await redis.client.get(LEADER)).to.equal(IDENTITY);
      expect(await redis.client.pttl(LEADER)).to.be.within(29_000, 30_000);
    });

    it("loses to another holder, leaving its key, and reports the holder's remaining TTL", async () => {
      await redis.client.set(LEADER, OTHER, 'PX', 5_000);
      const reply = await claimLease(redis.client, IDENTITY, 30_000);
      expect(reply.won).to.equal(false);
      expect(reply.pttl).to.be.within(4_000, 5_000);
      expect(await redis.client.get(LEADER)).to.equal(OTHER);
      expect(await redis.client.pttl(LEADER)).to.be.at.most(5_000);
    });

    it('takes back a key that still holds its own identity, with a fresh TTL (a restarted senator)', async () => {
      await redis.client.set(LEADER, IDENTITY, 'PX', 1_000);
      expect((await claimLease(redis.client, IDENTITY, 30_000)).won).to.equal(true);
      expect(await redis.client.pttl(LEADER)).to.be.above(29_000);
    });
  });

  describe('renewLease (renew-lease.lua, compare-and-expire)', () => {
    it('resets the TTL while the key holds this identity', async () => {
      await redis.client.set(LEADER, IDENTITY, 'PX', 1_000);
      expect(await renewLease(redis.client, IDENTITY, 30_000)).to.equal(true);
      expect(await redis.client.pttl(LEADER)).to.be.above(29_000);
    });

    it("never extends another process's lease", async () => {
      await redis.client.set(LEADER, OTHER, 'PX', 1_000);
      expect(await renewLease(redis.client, IDENTITY, 30_000)).to.equal(false);
      expect(await redis.client.pttl(LEADER)).to.be.at.most(1_000);
    });

    it('never creates the key', async () => {
      expect(await renewLease(redis.client, IDENTITY, 30_000)).to.equal(false);
      expect(await redis.client.exists(LEADER)).to.equal(0);
    });
  });

  describe('resignLease (release-lock.lua, compare-and-delete; docs/kiq-elixir.md check 91)', () => {
    it('deletes the key while it holds this identity', async () => {
      await redis.client.set(LEADER, IDENTITY, 'PX', 30_000);
      expect(await resignLease(redis.client, IDENTITY)).to.equal(true);
      expect(await redis.client.exists(LEADER)).to.equal(0);
    });

    it("leaves another process's key", async () => {
      await redis.client.set(LEADER, OTHER, 'PX', 30_000);
      expect(await resignLease(redis.client, IDENTITY)).to.equal(false);
      expect(await redis.client.get(LEADER)).to.equal(OTHER);
    });
  });
});
