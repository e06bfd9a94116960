/**
 * `kiq retries|scheduled|dead` and `kiq queue clear` against Sidekiq-shaped
 * data written straight into Redis (payloads as Sidekiq 6.4 writes them),
 * each result cross-checked with Redis; plus the admin operations behind
 * them, in-process, where a failure is easier to set up.
 */
import { deflateSync } from 'node:zlib';
import { expect } from 'chai';
import { enqueueEntries, findEntries, payloadToEnqueue, toEntry } from '../../src/admin/sets.js';
import { useRedis } from '../support/redis.js';
import { usePool } from '../support/pool.js';
import { describeRun, runInProcess, runKiqMany } from './support.js';

const JID = {
  soon: 'aaaaaaaaaaaaaaaaaaaaaa01',
  later: 'aaaaaaaaaaaaaaaaaaaaaa02',
  latest: 'aaaaaaaaaaaaaaaaaaaaaa03',
  sched1: 'bbbbbbbbbbbbbbbbbbbbbb01',
  sched2: 'bbbbbbbbbbbbbbbbbbbbbb02',
  deadOld: 'cccccccccccccccccccccc01',
  deadNew: 'cccccccccccccccccccccc02',
};

/** A retry entry as Sidekiq 6.4 writes it (docs/sidekiq-contract.md §14), args with bytes JSON.parse would change. */
function failed(jid: string, queue: string, retryCount: number, extra = ''): string {
  return (
    `{"retry":true,"queue":"${queue}","class":"HardWorker","args":[12345678901234567,1.0,"caf\\u00e9",[]],"jid":"${jid}",` +
    `"created_at":1795807920.4649706,"enqueued_at":1795807920.4651282,"error_message":"boom ${jid}","error_class":"RuntimeError",` +
    `"failed_at":1795807921.1244085,"retry_count":${retryCount}${extra}}`
  );
}

function backtrace(lines: string[]): string {
  return deflateSync(Buffer.from(JSON.stringify(lines))).toString('base64');
}

describe('kiq retries / scheduled / dead / queue clear', () => {
  const redis = useRedis();

  async function seed(): Promise<void> {
    const NOW = Date.now() / 1000;
    await redis.client
      .multi()
      .zadd('retry', NOW + 100, failed(JID.latest, 'default', 0))
      .zadd('retry', NOW + 10, failed(JID.soon, 'critical', 3))
      .zadd('retry', NOW + 50, failed(JID.later, 'default', 1))
      .zadd('schedule', NOW + 30, `{"retry":true,"queue":"low","class":"Later","args":[1],"jid":"${JID.sched1}","created_at":1795807920.346013,"retry_count":2}`)
      .zadd('schedule', NOW + 20, `{"retry":true,"queue":"low","class":"Later","args":[2],"jid":"${JID.sched2}","created_at":1795807920.346013}`)
      .zadd('dead', NOW - 100, failed(JID.deadOld, 'default', 25))
      .zadd('dead', NOW - 10, failed(JID.deadNew, 'default', 2, `,"error_backtrace":"${backtrace(['app.rb:1:in `x`', 'app.rb:2'])}"`))
      .zadd('dead', NOW - 50, 'this is not json')
      .exec();
  }

  it('list (Web UI order, --limit, --json with the payload as stored), show (pretty, backtrace decoded; missing jid exits 3)', async () => {
    await seed();
    // the executable for a table, a show and a miss; the variants through the same runCli in-process (faster)
    const [[table, show, missing], [limited, json, deadJson, showDead, scheduled]] = await Promise.all([
      runKiqMany([['retries'], ['retries', 'show', JID.later], ['dead', 'show', JID.soon]], { redisUrl: redis.url }),
      Promise.all(
        [['retries', 'list', '--limit', '1'], ['retries', 'list', '--json'], ['dead', 'list', '--json', '--limit', '0'], ['dead', 'show', JID.deadNew], ['scheduled', 'list']].map(
          (args) => runInProcess(args, { redisUrl: redis.url }),
        ),
      ),
    ]);
    expect(table!.code, describeRun(table!)).to.equal(0);
    const lines = table!.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^NEXT +JID +CLASS +QUEUE +RETRIES +ERROR +ARGS$/);
    expect(lines.slice(1).map((l) => /[0-9a-f]{24}/.exec(l)?.[0])).to.deep.equal([JID.soon, JID.later, JID.latest]);
    expect(lines[1]).to.match(/\(in [\d.]+s\) +aaaaaaaaaaaaaaaaaaaaaa01 +HardWorker +critical +3 +RuntimeError: boom aaaaaaaaaaaaaaaaaaaaaa01 +\[12345678901234567,1\.0,"caf\\u00e9",\[\]\]$/);

    expect(limited!.stdout.trimEnd().split('\n')).to.have.length(3);
    expect(limited!.stdout).to.include('(1 of 3 shown; --limit N for more, --limit 0 for all)');

    expect(json!.code).to.equal(0);
    const entries = JSON.parse(json!.stdout) as { jid: string; key: string; score: number; set: string; job: Record<string, unknown> }[];
    expect(entries.map((e) => e.jid)).to.deep.equal([JID.soon, JID.later, JID.latest]);
    expect(entries[0]).to.include({ set: 'retry', class: 'HardWorker', queue: 'critical' });
    expect(entries[0]!.key).to.equal(`${entries[0]!.score}-${JID.soon}`);
    // the payload is embedded as stored: every digit, the 1.0 and the escape survive
    expect(json!.stdout).to.include('12345678901234567,\n').and.include('1.0,').and.include('"caf\\u00e9"');

    const dead = JSON.parse(deadJson!.stdout) as { jid: string | null; job: unknown; raw?: string }[];
    expect(dead.map((e) => e.jid)).to.deep.equal([JID.deadNew, null, JID.deadOld]);
    expect(dead[1]).to.deep.include({ job: null, raw: 'this is not json' });

    expect(show!.code).to.equal(0);
    expect(show!.stdout).to.match(new RegExp(`^# retry \\d+\\.?\\d*-${JID.later}  next \\S+Z \\(in [\\d.]+s\\)\\n\\{\\n  "retry": true,\\n`));
    expect(show!.stdout).to.include('  "args": [\n    12345678901234567,\n    1.0,\n    "caf\\u00e9",\n    []\n  ],\n');
    expect(showDead!.stdout).to.include('# error_backtrace\n  app.rb:1:in `x`\n  app.rb:2\n');
    expect(missing!.code).to.equal(3);
    expect(missing!.stdout).to.equal('');
    expect(missing!.stderr).to.equal(`kiq dead: no dead job with jid ${JID.soon}\n`);

    expect(scheduled!.stdout.trimEnd().split('\n').slice(1).map((l) => /[0-9a-f]{24}/.exec(l)?.[0])).to.deep.equal([JID.sched2, JID.sched1]);
  });

  it('retry moves one entry to its queue atomically (retry_count - 1 for retries, untouched for scheduled); delete removes by member; --all; queue clear', async () => {
    await seed();
    const before = Date.now() / 1000;
    const [[retry, schedule, del], [missingRetry, missingDelete]] = await Promise.all([
      runKiqMany([['retries', 'retry', JID.later], ['scheduled', 'retry', JID.sched1], ['dead', 'delete', JID.deadOld]], { redisUrl: redis.url }),
      Promise.all([['retries', 'retry', 'nope'], ['scheduled', 'delete', 'nope']].map((args) => runInProcess(args, { redisUrl: redis.url }))),
    ]);
    expect(retry!.code, describeRun(retry!)).to.equal(0);
    expect(retry!.stdout).to.equal(`retried ${JID.later} -> queue default\n`);
    const [pushed] = await redis.client.lrange('queue:default', 0, -1);
    // only retry_count and enqueued_at changed, in place; every other byte as stored
    const enqueuedAt = Number(/"enqueued_at":([0-9.]+)/.exec(pushed!)![1]);
    expect(enqueuedAt).to.be.within(before - 1, Date.now() / 1000 + 1);
    expect(pushed).to.equal(failed(JID.later, 'default', 0).replace('"enqueued_at":1795807920.4651282', `"enqueued_at":${/"enqueued_at":([0-9.]+)/.exec(pushed!)![1]}`));
    expect(await redis.client.zrange('retry', '0', '-1')).to.have.length(2);
    expect(await redis.client.zscore('retry', failed(JID.later, 'default', 1))).to.equal(null);

    expect(schedule!.stdout).to.equal(`enqueued ${JID.sched1} -> queue low\n`);
    const [low] = await redis.client.lrange('queue:low', 0, -1);
    expect(low).to.match(new RegExp(`^\\{"retry":true,"queue":"low","class":"Later","args":\\[1\\],"jid":"${JID.sched1}","created_at":1795807920.346013,"retry_count":2,"enqueued_at":\\d+\\.\\d+\\}$`));
    expect((await redis.client.smembers('queues')).sort()).to.deep.equal(['default', 'low']);

    expect(del!.stdout).to.equal(`deleted ${JID.deadOld} from dead\n`);
    expect(await redis.client.zcard('dead')).to.equal(2);
    expect(missingRetry!.code).to.equal(3);
    expect(missingRetry!.stderr).to.equal('kiq retries: no retry with jid nope\n');
    expect(missingDelete!.code).to.equal(3);
    expect(missingDelete!.stderr).to.equal('kiq scheduled: no scheduled job with jid nope\n');

    const [[deadAll, retriesAll, clear], clearMissing] = await Promise.all([
      runKiqMany([['dead', 'retry', '--all'], ['retries', 'delete', '--all'], ['queue', 'clear', 'low']], { redisUrl: redis.url }),
      runInProcess(['queue', 'clear', 'nope'], { redisUrl: redis.url }),
    ]);
    expect(deadAll!.code, describeRun(deadAll!)).to.equal(0);
    expect(deadAll!.stdout).to.equal('retried 1 job from dead\n');
    expect(deadAll!.stderr).to.equal('left 1 entry that is not a job in dead\n');
    expect(await redis.client.zrange('dead', '0', '-1')).to.deep.equal(['this is not json']);
    expect((await redis.client.lrange('queue:default', 0, -1)).map((j) => JSON.parse(j).jid)).to.have.members([JID.later, JID.deadNew]);
    expect(JSON.parse((await redis.client.lrange('queue:default', 0, 0))[0]!).retry_count).to.equal(1);
    expect(retriesAll!.stdout).to.equal('deleted 2 entries from retry\n');
    expect(await redis.client.exists('retry')).to.equal(0);
    expect(clear!.stdout).to.equal('cleared queue low (1 job deleted)\n');
    expect(await redis.client.exists('queue:low')).to.equal(0);
    expect(await redis.client.smembers('queues')).to.deep.equal(['default']);
    expect(clearMissing!.code).to.equal(3);
    expect(clearMissing!.stderr).to.equal("kiq queue: no queue named 'nope'\n");
  });

  it('kill moves an entry to the dead set unchanged (or --all of them); a missing jid exits 3', async () => {
    await seed();
    const [one, all, missing] = await Promise.all(
      [['retries', 'kill', JID.soon], ['scheduled', 'kill', '--all'], ['retries', 'kill', 'nope']].map((args) => runInProcess(args, { redisUrl: redis.url })),
    );
    expect(one!.code, describeRun(one!)).to.equal(0);
    expect(one!.stdout).to.equal(`killed ${JID.soon} -> dead\n`);
    expect(await redis.client.zscore('dead', failed(JID.soon, 'critical', 3))).not.to.equal(null);
    expect(await redis.client.zcard('retry')).to.equal(2);
    expect(all!.stdout).to.equal('killed 2 jobs from schedule\n');
    expect(await redis.client.exists('schedule')).to.equal(0);
    expect(await redis.client.zcard('dead')).to.equal(6);
    expect(missing!.code).to.equal(3);
    expect(missing!.stderr).to.equal('kiq retries: no retry with jid nope\n');
  });

  describe('admin operations', () => {
    const pool = usePool(redis);

    it('a push Redis refuses (WRONGTYPE) leaves the entry in its set: never lost', async () => {
      await seed();
      await redis.client.set('queue:critical', 'not a list');
      const [entry] = await findEntries(pool.next(), 'retry', JID.soon);
      const error = await enqueueEntries(pool.next(), [entry!], { decrement: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(error)).to.match(/WRONGTYPE/);
      expect(await redis.client.zscore('retry', entry!.member)).not.to.equal(null);
    });

    it('an entry moved or deleted meanwhile is skipped, never pushed twice; entries are found by jid or "<score>-<jid>"', async () => {
      await seed();
      const [byJid] = await findEntries(pool.next(), 'retry', JID.soon);
      const [byKey] = await findEntries(pool.next(), 'retry', byJid!.key);
      expect(byKey!.member).to.equal(byJid!.member);
      await redis.client.zrem('retry', byJid!.member);
      const result = await enqueueEntries(pool.next(), [byJid!], { decrement: true });
      expect(result.moved).to.deep.equal([]);
      expect(result.skipped.map((s) => s.reason)).to.deep.equal(['no longer in the set']);
      expect(await redis.client.exists('queue:critical')).to.equal(0);
    });

    it('payloads without a queue go to "default"; entries that are not jobs are refused', () => {
      const noQueue = payloadToEnqueue(toEntry('dead', '{"class":"W","args":[],"retry_count":0}', 1), 1700000000, true);
      expect(noQueue).to.deep.equal({ queue: 'default', json: '{"class":"W","args":[],"retry_count":-1,"queue":"default","enqueued_at":1700000000.0}' });
      expect(() => payloadToEnqueue(toEntry('dead', 'garbage', 1), 1, true)).to.throw('not a JSON object');
      expect(() => payloadToEnqueue(toEntry('dead', '{"args":[]}', 1), 1, true)).to.throw('no class');
    });
  });
});
