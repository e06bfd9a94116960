/**
 * The fault suite's own instruments, checked so that a scenario's "OK" means
 * something: the TCP proxy really stalls and drops, the overlap check finds
 * an overlap, the ledger counts duplicates and survives a torn line.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { baseRedisUrl } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { leadershipOverlaps, type Believer } from '../support/leadership.js';
import { Ledger } from './lib/ledger.js';
import { TcpProxy } from '../support/tcp-proxy.js';

describe('Fault suite instruments', () => {
  describe('TcpProxy', () => {
    let proxy: TcpProxy;
    let redis: Redis | undefined;
    beforeEach(async () => {
      proxy = await TcpProxy.start(Number(new URL(baseRedisUrl()).port));
    });
    afterEach(async () => {
      redis?.disconnect();
      redis = undefined;
      await proxy.close();
    });

    it('forwards, holds everything during a stall (nothing closes), and delivers it on heal', async () => {
      redis = new Redis(proxy.url, { maxRetriesPerRequest: 0 });
      expect(await redis.ping()).to.equal('PONG');
      proxy.stall();
      let answered = false;
      const reply = redis.ping().then((r) => ((answered = true), r));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered, 'a reply during the stall').to.equal(false);
      expect(redis.status, 'connection state during the stall').to.equal('ready');
      proxy.heal();
      expect(await reply).to.equal('PONG');
    });

    it('drop closes every connection and refuses new ones until heal', async () => {
      redis = new Redis(proxy.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
      redis.on('error', () => undefined); // the refused reconnects (EPIPE, ECONNRESET) are the point
      expect(await redis.ping()).to.equal('PONG');
      const closed = deferred(5_000, 'the client to see the close');
      redis.once('close', () => closed.resolve());
      proxy.drop();
      await closed.promise;
      await new Promise((resolve) => setTimeout(resolve, 200)); // a few reconnect attempts, all refused
      expect(redis.status, 'state while dropped').to.not.equal('ready');
      proxy.heal();
      expect(await redis.ping()).to.equal('PONG');
    });
  });

  it('leadershipOverlaps finds two processes believing they lead at once, and only then', () => {
    const p = (label: string, changes: [boolean, number][], diedAt?: number): Believer => ({
      options: { label },
      changes: changes.map(([leader, at]) => ({ leader, at })),
      diedAt,
    });
    const a = p('a', [[true, 100], [false, 200]]);
    expect(leadershipOverlaps([a, p('b', [[true, 200]])], 1_000)).to.deep.equal([]);
    expect(leadershipOverlaps([a, p('b', [[true, 199]])], 1_000)).to.have.length(1);
    // an open interval ends when the process died
    expect(leadershipOverlaps([p('c', [[true, 0]], 50), p('d', [[true, 60]])], 1_000)).to.deep.equal([]);
  });

  it('the ledger counts performs per id across files, keeps a torn last line for later, and names the missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiq-chaos-ledger-'));
    try {
      const ledger = new Ledger(dir);
      ledger.expect(['a', 'b', 'c']);
      appendFileSync(join(dir, 's0.performed'), 'a\t1\nb\t2\nc');
      appendFileSync(join(dir, 's1.performed'), 'a\t5\n');
      ledger.poll();
      expect(ledger.missing()).to.deep.equal(['c']);
      appendFileSync(join(dir, 's0.performed'), '\t3\nz\t4\n');
      ledger.poll();
      expect(ledger.missing()).to.deep.equal([]);
      expect(ledger.duplicated(), 'ids run twice').to.equal(1);
      expect(ledger.unexpected(), 'ids nobody enqueued').to.equal(1);
      expect(ledger.performedAfter('a', 3)).to.equal(5);
      expect(ledger.firstBy('s0', 3)).to.equal(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
