import { expect } from 'chai';
import { uniqueKey, queueKey, QUEUES } from '../../src/redis/keys.js';
import { Redis } from 'ioredis';
import { ScriptError } from '../../src/errors.js';
import { callScript } from '../../src/redis/call.js';
import { fetchBatch } from '../../src/server/ops/fetch.js';
import { IDENTITY, NOW } from '../server/ops/support.js';
import { writeBeat } from '../support/write-beat.js';
import { loadScripts, parseScript, runScript } from '../../src/redis/scripts.js';
import { useRedis } from '../support/redis.js';
import { usePool } from '../support/pool.js';

describe('Lua scripts', () => {
  const redis = useRedis();

  describe('contract headers', () => {
    for (const script of loadScripts()) {
      it(`${script.name}.lua uses exactly the KEYS and ARGV its header lists`, () => {
        expect([...script.bodyKeys].sort(), 'KEYS used in the body').to.deep.equal([...script.headerKeys].sort());
        expect([...script.bodyArgs].sort(), 'ARGV used in the body').to.deep.equal([...script.headerArgs].sort());
        expect(script.numberOfKeys).to.equal(Math.max(0, ...script.headerKeys));
      });
    }

    it('rejects a script without a contract header', () => {
      expect(() => parseScript('bare', "return redis.call('GET', KEYS[1])")).to.throw(/missing --\[\[ contract header/);
    });

    it('reads the key count from the header', () => {
      const parsed = parseScript('x', "--[[\n KEYS[1] a\n KEYS[2] b\n ARGV[1] c\n]]\nreturn {KEYS[1], KEYS[2], ARGV[1]}");
      expect(parsed.numberOfKeys).to.equal(2);
    });
  });

  describe('after SCRIPT FLUSH', () => {
    const pool = usePool(redis);

    it('the next pipelined call on the same connection still works (EVALSHA falls back to EVAL on NOSCRIPT)', async () => {
      const conn = pool.next();
      const push = async (jid: string) => {
        const pipeline = conn.pipeline();
        runScript(pipeline, 'push-unique', [uniqueKey(jid), queueKey('q'), QUEUES], [jid, 60_000, `{"jid":"${jid}"}`, '', 'q']);
        return pipeline.exec();
      };
      expect(await push('jid-a')).to.deep.equal([[null, 1]]);
      expect(await push('jid-b'), 'a second call, by EVALSHA').to.deep.equal([[null, 1]]);
      await redis.client.script('FLUSH');
      expect(await push('jid-c'), 'after the flush').to.deep.equal([[null, 1]]);
      expect(await redis.client.lrange(queueKey('q'), 0, -1)).to.deep.equal(['{"jid":"jid-c"}', '{"jid":"jid-b"}', '{"jid":"jid-a"}']);
      const commands = await redis.client.info('commandstats');
      expect(commands, 'EVALSHA ran, and NOSCRIPT made it fall back').to.match(/cmdstat_evalsha:calls=[1-9]/);
    });

    it('no connection has script commands defined on it (they would turn it into a slow dictionary-mode object); a pipeline’s keyPrefix applies to its scripts', async () => {
      const conn = pool.next();
      const own = Object.keys(conn);
      expect(own.filter((key) => loadScripts().some((script) => key === script.name || key === `${script.name}Buffer`))).to.deep.equal([]);
      const prefixed = new Redis(redis.url, { keyPrefix: 'pre:' });
      try {
        const pipeline = prefixed.pipeline();
        runScript(pipeline, 'push-jobs', [QUEUES, queueKey('p')], ['p', '{"jid":"p"}']);
        expect(await pipeline.exec()).to.deep.equal([[null, 1]]);
        expect(await redis.client.lrange(`pre:${queueKey('p')}`, 0, -1)).to.deep.equal(['{"jid":"p"}']);
        expect(await redis.client.exists(queueKey('p'))).to.equal(0);
      } finally {
        prefixed.disconnect();
      }
    });

    it('callScript sends EVALSHA, and EVAL after a flush, on any connection (none defined): string and byte replies, reply errors as ScriptError', async () => {
      const plain = new Redis(redis.url);
      try {
        const job = Buffer.from([0x7b, 0xff, 0x7d]); // not UTF-8: the reply must come back as these bytes
        expect(await callScript(plain, 'push-jobs', [QUEUES, queueKey('q')], ['q', '{"jid":"a"}'])).to.equal(1);
        await redis.client.script('FLUSH');
        expect(await callScript(plain, 'push-jobs', [QUEUES, queueKey('q')], ['q', job])).to.equal(2);
        expect(await redis.client.lrangeBuffer(queueKey('q'), 0, -1)).to.deep.equal([job, Buffer.from('{"jid":"a"}')]);
        // byte replies after a flush: the fetch's jobs, the one that is not UTF-8 as its bytes
        await writeBeat(redis.client, IDENTITY, NOW);
        await redis.client.script('FLUSH');
        const { jobs } = await fetchBatch(plain, IDENTITY, 'q', 2);
        expect(jobs).to.deep.equal(['{"jid":"a"}', job]);
        await redis.client.set('wrong', 'type');
        await redis.client.script('FLUSH');
        const refused = await callScript(plain, 'push-jobs', [QUEUES, 'wrong'], ['q', '{"jid":"b"}']).catch((error: unknown) => error);
        expect(refused).to.be.instanceOf(ScriptError);
        expect(String((refused as Error).message)).to.match(/push-jobs.*WRONGTYPE/);
        const commands = await redis.client.info('commandstats');
        expect(commands, 'the fallback ran EVAL').to.match(/cmdstat_eval:calls=[1-9]/);
      } finally {
        plain.disconnect();
      }
    });

    it('pipelined calls survive a flush too', async () => {
      await redis.client.script('FLUSH');
      const pipeline = pool.next().pipeline();
      runScript(pipeline, 'release-lock', [uniqueKey('x')], ['nobody']);
      const replies = await pipeline.exec();
      expect(replies).to.deep.equal([[null, 0]]);
    });
  });
});
