import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { DEAD, QUEUES, RETRY, SCHEDULE, queueKey } from '../../../src/redis/keys.js';
import { writeBeat } from '../../support/write-beat.js';
import { fetchJobs } from '../../../src/server/ops/fetch.js';
import { pollDue, type DeadLettered } from '../../../src/server/ops/poll-due.js';
import { deadLetterEntry, excerpt } from '../../../src/job/dead-letter.js';
import { retryJob } from '../../../src/server/ops/retry-job.js';
import { useRedis } from '../../support/redis.js';
import { IDENTITY, NOW, NOW_TEXT } from './support.js';

describe('server ops: pollDue', () => {
  const redis = useRedis();

  /** Schedules `member` at `score` in `set`, polls once at NOW, returns what queue `queue` holds. */
  async function roundTrip(member: string, queue = 'default', set: 'retry' | 'schedule' = 'schedule'): Promise<string[]> {
    await redis.client.zadd(set === 'retry' ? RETRY : SCHEDULE, NOW - 1, member);
    expect(await pollDue(redis.client, set, NOW, 100)).to.equal(1);
    return redis.client.lrange(queueKey(queue), 0, -1);
  }

  describe('moves due members to their queues', () => {
    it('only members scored at or before now, and registers their queues', async () => {
      await redis.client.zadd(SCHEDULE, NOW - 10, '{"queue":"q","jid":"due"}', NOW, '{"queue":"q","jid":"now"}', NOW + 0.5, '{"queue":"q","jid":"later"}');
      expect(await pollDue(redis.client, 'schedule', NOW, 100)).to.equal(2);
      expect(await redis.client.zrange(SCHEDULE, '0', '-1')).to.deep.equal(['{"queue":"q","jid":"later"}']);
      expect(await redis.client.llen(queueKey('q'))).to.equal(2);
      expect(await redis.client.smembers(QUEUES)).to.deep.equal(['q']);
    });

    it('lowest score first, so the earliest due runs first', async () => {
      await redis.client.zadd(RETRY, NOW - 1, '{"queue":"q","jid":"second"}', NOW - 2, '{"queue":"q","jid":"first"}');
      await pollDue(redis.client, 'retry', NOW, 100);
      const order = [await redis.client.rpop(queueKey('q')), await redis.client.rpop(queueKey('q'))];
      expect(order.map((json) => (JSON.parse(json!) as { jid: string }).jid)).to.deep.equal(['first', 'second']);
    });

    it('at most limit per call, reporting the limit so the caller polls again', async () => {
      for (let i = 0; i < 5; i += 1) await redis.client.zadd(SCHEDULE, NOW - 10 + i, `{"queue":"q","jid":"j${i}"}`);
      expect(await pollDue(redis.client, 'schedule', NOW, 2)).to.equal(2);
      expect(await redis.client.zcard(SCHEDULE)).to.equal(3);
      expect(await pollDue(redis.client, 'schedule', NOW, 2)).to.equal(2);
      expect(await pollDue(redis.client, 'schedule', NOW, 2)).to.equal(1);
      expect(await pollDue(redis.client, 'schedule', NOW, 2)).to.equal(0);
      expect(await redis.client.llen(queueKey('q'))).to.equal(5);
    });

    for (const queue of ['with-dash', 'with_underscore', 'with.dot', 'with:colon', 'очередь-日本', 'with|pipe', 'with space']) {
      it(`to a queue named ${JSON.stringify(queue)}`, async () => {
        const member = JSON.stringify({ class: 'A', args: [], queue, jid: 'x' });
        expect(await roundTrip(member, queue)).to.deep.equal([`${member.slice(0, -1)},"enqueued_at":${NOW_TEXT}}`]);
        expect(await redis.client.smembers(QUEUES)).to.deep.equal([queue]);
      });
    }

    it('reads the queue from the payload, not from a "queue" key inside args', async () => {
      const member = '{"class":"A","args":[{"queue":"wrong"}],"queue":"right","jid":"x"}';
      expect(await roundTrip(member, 'right')).to.have.length(1);
      expect(await redis.client.exists(queueKey('wrong'))).to.equal(0);
    });
  });

  describe('sets enqueued_at by editing the text, every other byte kept', () => {
    it('adds a missing enqueued_at before the closing brace', async () => {
      const member = '{"class":"A","args":[1],"queue":"default","jid":"x"}';
      expect(await roundTrip(member)).to.deep.equal([`{"class":"A","args":[1],"queue":"default","jid":"x","enqueued_at":${NOW_TEXT}}`]);
    });

    it('replaces an existing top-level enqueued_at in place', async () => {
      const member = '{"class":"A","enqueued_at":1700000000.5,"args":[],"queue":"default"}';
      expect(await roundTrip(member, 'default', 'retry')).to.deep.equal([`{"class":"A","enqueued_at":${NOW_TEXT},"args":[],"queue":"default"}`]);
    });

    it('replaces a Sidekiq 8 millisecond enqueued_at that is the last key', async () => {
      const member = '{"class":"A","args":[],"queue":"default","enqueued_at":1795807900500}';
      expect(await roundTrip(member)).to.deep.equal([`{"class":"A","args":[],"queue":"default","enqueued_at":${NOW_TEXT}}`]);
    });

    it('keeps [] and {} and 17-digit integers exactly (cjson re-encoding would not)', async () => {
      const member = '{"class":"A","args":[[],{"a":[]},12345678901234567,{},1.0e3,-0.0],"queue":"default","jid":"x","enqueued_at":1.5}';
      expect(await roundTrip(member, 'default', 'retry')).to.deep.equal([
        `{"class":"A","args":[[],{"a":[]},12345678901234567,{},1.0e3,-0.0],"queue":"default","jid":"x","enqueued_at":${NOW_TEXT}}`,
      ]);
    });

    it('leaves nested enqueued_at keys and strings that look like one alone', async () => {
      const member =
        '{"class":"A","args":[{"enqueued_at":1},"\\"enqueued_at\\":2,",{"x":{"enqueued_at":[3]}}],' +
        '"meta":{"enqueued_at":4},"note":"}\\\\","queue":"default","enqueued_at":5.5,"tail":"\\"enqueued_at\\":6"}';
      const expected = member.replace('"enqueued_at":5.5', `"enqueued_at":${NOW_TEXT}`);
      expect(expected).to.not.equal(member);
      expect(await roundTrip(member)).to.deep.equal([expected]);
    });

    it('keeps unicode, escapes and whitespace around the value', async () => {
      const member = '{ "class" : "Ünï\\u00e9日本", "args" : ["\\ud83d\\ude00", "😀"], "queue" : "default" , "enqueued_at" : "stale, } text" }';
      expect(await roundTrip(member)).to.deep.equal([
        `{ "class" : "Ünï\\u00e9日本", "args" : ["\\ud83d\\ude00", "😀"], "queue" : "default" , "enqueued_at" : ${NOW_TEXT} }`,
      ]);
    });

    it('replaces an object or array value of enqueued_at whole', async () => {
      const member = '{"queue":"default","enqueued_at":{"a":[1,{"b":2}]},"jid":"x"}';
      expect(await roundTrip(member)).to.deep.equal([`{"queue":"default","enqueued_at":${NOW_TEXT},"jid":"x"}`]);
    });

    it('recognises an escaped spelling of the key', async () => {
      const member = '{"queue":"default","enqueued\\u005fat":1}';
      expect(await roundTrip(member)).to.deep.equal([`{"queue":"default","enqueued\\u005fat":${NOW_TEXT}}`]);
    });

    it('always writes a fractional part', async () => {
      await redis.client.zadd(SCHEDULE, 1, '{"queue":"default"}');
      await pollDue(redis.client, 'schedule', 1_795_807_920, 10);
      expect(await redis.client.lrange(queueKey('default'), 0, -1)).to.deep.equal(['{"queue":"default","enqueued_at":1795807920.0}']);
    });

    it('matches JSON.stringify of the payload with enqueued_at set, for any payload (property)', async () => {
      const MARK = 'kiq-now-marker-5f3a';
      // Keys and strings that tempt a naive scanner: nested "enqueued_at" keys, quotes, braces, escapes.
      const key = fc.oneof(fc.constantFrom('enqueued_at', 'queue', 'enqueued_at ', '"'), fc.string({ unit: 'grapheme', maxLength: 8 }));
      const text = fc.oneof(fc.constantFrom('"enqueued_at":1', ',"enqueued_at":', '}', '{', '\\', '\\"', ''), fc.string({ unit: 'grapheme', maxLength: 12 }));
      const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text);
      const { value } = fc.letrec<{ value: unknown }>((tie) => ({
        value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
      }));
      const payload = fc.dictionary(key, value, { maxKeys: 6 });
      await fc.assert(
        fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 20 }), async (payloads) => {
          await redis.client.del(SCHEDULE, queueKey('prop'));
          const members = payloads.map((p, i) => JSON.stringify({ ...p, queue: 'prop', jid: `j${i}` }));
          for (const [i, member] of members.entries()) await redis.client.zadd(SCHEDULE, NOW - 100 + i, member);
          expect(await pollDue(redis.client, 'schedule', NOW, 100)).to.equal(members.length);
          const pushed = (await redis.client.lrange(queueKey('prop'), 0, -1)).reverse();
          const expected = members.map((m) => JSON.stringify({ ...(JSON.parse(m) as object), enqueued_at: MARK }).replace(`"${MARK}"`, NOW_TEXT));
          expect(pushed).to.deep.equal(expected);
        }),
        { numRuns: 40 },
      );
    });
  });

  it('brings a retried job back byte-for-byte except enqueued_at (fetch → retry → poll → fetch)', async () => {
    const raw = '{"retry":3,"queue":"with.dot","class":"A","args":[[],{"a":[]},12345678901234567,"é"],"jid":"j1","enqueued_at":1795807900.5}';
    const failed = `${raw.slice(0, -1)},"error_class":"Error","retry_count":0}`;
    await writeBeat(redis.client, IDENTITY, NOW);
    await redis.client.lpush(queueKey('with.dot'), raw);
    const [fetched] = await fetchJobs(redis.client, IDENTITY, 'with.dot', 1);
    await retryJob(redis.client, IDENTITY, { queue: 'with.dot', raw: fetched! }, failed, NOW - 1);
    expect(await pollDue(redis.client, 'retry', NOW, 100)).to.equal(1);
    expect(await fetchJobs(redis.client, IDENTITY, 'with.dot', 1)).to.deep.equal([failed.replace('"enqueued_at":1795807900.5', `"enqueued_at":${NOW_TEXT}`)]);
  });

  describe('sends members it cannot route to dead instead of losing them', () => {
    const invalid: [string, string][] = [
      ['not json', 'not a JSON object'],
      ['[{"queue":"q"}]', 'not a JSON object'],
      ['"a string"', 'not a JSON object'],
      ['42', 'not a JSON object'],
      ['{"class":"A","args":[]}', 'no non-empty string "queue" at the top level'],
      ['{"queue":42}', 'no non-empty string "queue" at the top level'],
      ['{"queue":""}', 'no non-empty string "queue" at the top level'],
      ['{"queue":null}', 'no non-empty string "queue" at the top level'],
      ['{"queue":"q"', 'unterminated JSON object'],
    ];
    for (const [member, reason] of invalid) {
      it(`${JSON.stringify(member)} goes to dead wrapped as a job Sidekiq reads, scored now, with the reason`, async () => {
        await redis.client.zadd(RETRY, NOW - 1, member);
        const dead: DeadLettered[] = [];
        expect(await pollDue(redis.client, 'retry', NOW, 10, { onDeadLettered: (d) => dead.push(d) })).to.equal(1);
        const [entry, score] = await redis.client.zrange(DEAD, '0', '-1', 'WITHSCORES');
        expect(score).to.equal(NOW_TEXT);
        const jid = createHash('sha1').update(member).digest('hex').slice(0, 24);
        expect(JSON.parse(entry!)).to.deep.equal({
          class: 'Kiq::InvalidJob',
          args: [member],
          queue: 'default',
          jid,
          retry: 0,
          error_class: 'InvalidJobError',
          error_message: `invalid job: ${reason}`,
          failed_at: NOW,
          kiq_source: 'retry',
        });
        // the runner's wrapper for the same entry has the same fields
        const runner = JSON.parse(deadLetterEntry(member, { reason: `invalid job: ${reason}`, queue: 'default', source: 'retry', nowSec: NOW })) as Record<string, unknown>;
        expect(Object.keys(runner).sort()).to.deep.equal(Object.keys(JSON.parse(entry!)).sort());
        expect(runner.jid).to.equal(jid);
        expect(dead).to.deep.equal([{ jid, reason, excerpt: excerpt(member) }]);
        expect(await redis.client.exists(RETRY, QUEUES)).to.equal(0);
      });
    }

    it('keeps the jid of an object it cannot route, and escapes bytes in the excerpt as the runner does', async () => {
      const member = '{"jid":"abc123","class":"A","args":["é\\n\u0001"]}';
      await redis.client.zadd(SCHEDULE, NOW - 1, member);
      const dead: DeadLettered[] = [];
      await pollDue(redis.client, 'schedule', NOW, 10, { onDeadLettered: (d) => dead.push(d) });
      expect(dead).to.deep.equal([{ jid: 'abc123', reason: 'no non-empty string "queue" at the top level', excerpt: excerpt(member) }]);
      expect(dead[0]!.excerpt).to.equal('{"jid":"abc123","class":"A","args":["\\xc3\\xa9\\x5cn\\x01"]}');
      expect(JSON.parse((await redis.client.zrange(DEAD, '0', '-1'))[0]!)).to.include({ jid: 'abc123', kiq_source: 'schedule' });
    });

    it('trims the dead set on each add by age and size, as Sidekiq (and killJob) do', async () => {
      await redis.client.zadd(DEAD, NOW - 100, '{"jid":"old"}', NOW - 5, '{"jid":"recent"}');
      for (let i = 0; i < 4; i++) await redis.client.zadd(RETRY, NOW - 1 - i, `bad ${i}`);
      expect(await pollDue(redis.client, 'retry', NOW, 10, { deadLimit: 4, deadTimeoutMs: 50_000 })).to.equal(4);
      const left = await redis.client.zrange(DEAD, '0', '-1');
      // "old" is past the 50 s age limit; then at most limit - 1 = 3 remain after each add
      expect(left).to.have.length(3).and.not.include('{"jid":"old"}').and.not.include('{"jid":"recent"}');
    });

    it('while the valid members of the same call still reach their queues', async () => {
      await redis.client.zadd(SCHEDULE, NOW - 2, 'garbage', NOW - 1, '{"queue":"q"}');
      expect(await pollDue(redis.client, 'schedule', NOW, 10)).to.equal(2);
      expect((await redis.client.zrange(DEAD, '0', '-1')).map((entry) => (JSON.parse(entry) as { args: string[] }).args)).to.deep.equal([['garbage']]);
      expect(await redis.client.llen(queueKey('q'))).to.equal(1);
    });
  });

  describe('routes jobs nested deeper than cjson decodes (1,000 levels)', () => {
    for (const depth of [1_001, 20_000]) {
      it(`a job whose args nest ${depth} levels reaches its queue, bytes kept but enqueued_at`, async () => {
        const args = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
        const member = `{"class":"Deep","args":[${args}],"queue":"deep","jid":"d${depth}"}`;
        expect(await roundTrip(member, 'deep', 'retry')).to.deep.equal([`${member.slice(0, -1)},"enqueued_at":${NOW_TEXT}}`]);
        expect(await redis.client.zcard(DEAD)).to.equal(0);
      });
    }

    it('reads an escaped "queue" key and value, with whitespace around them', async () => {
      const member = '{ "class" : "A" , "args" : [ ] , "que\\u0075e" : "we\\"ird\\u00e9" , "jid" : "x" }';
      await redis.client.zadd(SCHEDULE, NOW - 1, member);
      expect(await pollDue(redis.client, 'schedule', NOW, 10)).to.equal(1);
      expect(await redis.client.smembers(QUEUES)).to.deep.equal(['we"irdé']);
      expect(await redis.client.lrange(queueKey('we"irdé'), 0, -1)).to.deep.equal([`${member.slice(0, -1)},"enqueued_at":${NOW_TEXT}}`]);
    });

    it('reads "queue" and "enqueued_at" after a deeply nested value', async () => {
      const nested = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
      const member = `{"class":"Deep","args":[${nested}],"enqueued_at":1.5,"queue":"deep"}`;
      expect(await roundTrip(member, 'deep')).to.deep.equal([member.replace('"enqueued_at":1.5', `"enqueued_at":${NOW_TEXT}`)]);
    });
  });

  it('rejects a limit below 1', async () => {
    const error = await pollDue(redis.client, 'retry', NOW, 0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RangeError);
  });
});
