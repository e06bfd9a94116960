/**
 * `kiq stats`, `queues`, `processes`, `busy`, `quiet` and `stop` against
 * the keys Sidekiq 6.4 writes (docs/sidekiq-contract.md §6, §14), written
 * straight into Redis: two live processes (one leader, one quiet, one with
 * only the 6.4 `:workers` hash) and a stale `processes` member.
 */
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';
import { describeRun, runInProcess, runKiqMany } from './support.js';

const A = 'vm:12479:7a254f54ce0b';
const B = 'vm:12480:0123456789ab';
const STALE = 'gone:1:ffffffffffff';

describe('kiq stats / queues / processes / busy / quiet / stop', () => {
  const redis = useRedis();
  const now = () => Date.now() / 1000;

  async function seed(): Promise<void> {
    const t = now();
    const info = (identity: string, pid: number, queues: string[], tag: string) =>
      JSON.stringify({ hostname: 'vm', started_at: t - 600, pid, tag, concurrency: 5, queues, labels: [], identity });
    const work = (jid: string, runAt: number) =>
      JSON.stringify({
        queue: 'default',
        payload: `{"retry":true,"queue":"default","class":"Interop::Slow","args":[7,12345678901234567],"jid":"${jid}","created_at":1795807920.7045317,"enqueued_at":1795807920.70468}`,
        run_at: runAt,
      });
    await redis.client
      .multi()
      .set('stat:processed', '14')
      .set('stat:failed', '2')
      .sadd('queues', 'default', 'mailers')
      .sadd('paused', 'mailers')
      .lpush('queue:default', JSON.stringify({ class: 'Old', args: [], jid: 'j1', queue: 'default', enqueued_at: t - 30 }))
      .lpush('queue:default', JSON.stringify({ class: 'New', args: [], jid: 'j2', queue: 'default', enqueued_at: t - 1 }))
      .lpush('queue:mailers', JSON.stringify({ class: 'Mail', args: [], jid: 'j3', queue: 'mailers', enqueued_at: (t - 5) * 1000 })) // Sidekiq 8 ms
      .zadd('schedule', t + 60, '{"class":"S","args":[],"jid":"s1"}')
      .zadd('retry', t + 60, '{"class":"R","args":[],"jid":"r1"}', t + 70, '{"class":"R","args":[],"jid":"r2"}')
      .zadd('dead', t, '{"class":"D","args":[],"jid":"d1"}')
      .sadd('processes', A, B, STALE)
      .hset(A, 'info', info(A, 12479, ['default', 'low'], 'interop'), 'busy', '1', 'beat', String(t - 2), 'quiet', 'false', 'rss', '30940', 'rtt_us', '45', 'kiq_errors', '["fetch:default: the Redis user may not run LMOVE (ACL NOPERM)"]')
      .hset(B, 'info', info(B, 12480, ['mailers'], ''), 'busy', '2', 'beat', String(t - 4), 'quiet', 'true', 'rss', '1', 'rtt_us', '1')
      .hset(`${A}:work`, 'ak7', work('a319acf4a129c1d6e0eec6db', Math.floor(t) - 20))
      .hset(`${B}:workers`, 'b1', work('b319acf4a129c1d6e0eec6db', Math.floor(t) - 40))
      .hset(`${STALE}:work`, 'x', work('c319acf4a129c1d6e0eec6db', Math.floor(t) - 60)) // not live: never shown
      .set('dear-leader', A)
      .exec();
  }

  it('tables and --json, computed as Sidekiq computes them', async () => {
    await seed();
    // tables from the executable, --json through the same runCli in-process (faster)
    const [[stats, queues, processes, busy], [statsJson, queuesJson, processesJson, busyJson]] = await Promise.all([
      runKiqMany([['stats'], ['queues'], ['processes'], ['busy']], { redisUrl: redis.url }),
      Promise.all([['stats', '--json'], ['queues', '--json'], ['processes', '--json'], ['--json', 'busy']].map((args) => runInProcess(args, { redisUrl: redis.url }))),
    ]);
    for (const result of [stats, statsJson, queues, queuesJson, processes, processesJson, busy, busyJson]) expect(result!.code, describeRun(result!)).to.equal(0);

    expect(stats!.stdout).to.match(
      /^processed +14\nfailed +2\nbusy +3\nenqueued +3\nscheduled +1\nretries +2\ndead +1\nprocesses +3\ndefault latency +\d+s\n$/,
    );
    const s = JSON.parse(statsJson!.stdout) as Record<string, number>;
    expect(s).to.deep.include({ processed: 14, failed: 2, busy: 3, enqueued: 3, scheduled: 1, retries: 2, dead: 1, processes: 3 });
    expect(s.defaultLatency).to.be.within(29, 45);

    expect(queues!.stdout).to.match(/^QUEUE +SIZE +LATENCY +PAUSED\ndefault +2 +\d+s +no\nmailers +1 +\d+(\.\d)?s +yes\n$/);
    const q = JSON.parse(queuesJson!.stdout) as { name: string; size: number; latency: number; paused: boolean }[];
    expect(q.map(({ name, size, paused }) => [name, size, paused])).to.deep.equal([['default', 2, false], ['mailers', 1, true]]);
    expect(q[1]!.latency, 'Sidekiq 8 millisecond enqueued_at').to.be.within(4, 20);

    const rows = processes!.stdout.trimEnd().split('\n');
    expect(rows[0]).to.match(/^IDENTITY +HOST +PID +TAG +QUEUES +CONCURRENCY +BUSY +QUIET +BEAT +LEADER$/);
    expect(rows[1]).to.match(new RegExp(`^${A} +vm +12479 +interop +default,low +5 +1 +no +[\\d.]+s ago +yes$`));
    expect(rows[2]).to.match(new RegExp(`^${B} +vm +12480 +- +mailers +5 +2 +yes +[\\d.]+s ago +-$`));
    // the failure a Kiq process posted in its heartbeat, below the table
    expect(rows[3]).to.equal(`! ${A} fetch:default: the Redis user may not run LMOVE (ACL NOPERM)`);
    expect(rows).to.have.length(4);
    const p = JSON.parse(processesJson!.stdout) as Record<string, unknown>[];
    expect(p.map((x) => [x.identity, x.leader, x.quiet, x.busy, x.tag])).to.deep.equal([
      [A, true, false, 1, 'interop'],
      [B, false, true, 2, ''],
    ]);
    expect(p.map((x) => x.errors)).to.deep.equal([['fetch:default: the Redis user may not run LMOVE (ACL NOPERM)'], []]);
    expect(p[0]!.beatAge).to.be.within(1, 20);

    const jobs = busy!.stdout.trimEnd().split('\n');
    expect(jobs[0]).to.match(/^PROCESS +QUEUE +CLASS +JID +ARGS +STARTED$/);
    // oldest first; B has only the 6.4 :workers hash; args exactly as stored
    expect(jobs[1]).to.match(new RegExp(`^${B} +default +Interop::Slow +b319acf4a129c1d6e0eec6db +\\[7,12345678901234567\\] +\\S+Z \\(\\d+s ago\\)$`));
    expect(jobs[2]).to.match(new RegExp(`^${A} +default +Interop::Slow +a319acf4a129c1d6e0eec6db `));
    expect(jobs).to.have.length(3);
    const b = JSON.parse(busyJson!.stdout) as Record<string, unknown>[];
    expect(b.map((x) => [x.identity, x.thread, x.jid, x.class])).to.deep.equal([
      [B, 'b1', 'b319acf4a129c1d6e0eec6db', 'Interop::Slow'],
      [A, 'ak7', 'a319acf4a129c1d6e0eec6db', 'Interop::Slow'],
    ]);
  });

  it('empty Redis: zeros and "no ..." lines', async () => {
    const [stats, queues, processes, busy, dead, retries, scheduled] = await Promise.all(
      [['stats', '--json'], ['queues'], ['processes'], ['busy'], ['dead'], ['retries'], ['scheduled']].map((args) => runInProcess(args, { redisUrl: redis.url })),
    );
    expect(JSON.parse(stats!.stdout)).to.deep.equal({ processed: 0, failed: 0, busy: 0, enqueued: 0, scheduled: 0, retries: 0, dead: 0, processes: 0, defaultLatency: 0 });
    expect(queues!.stdout).to.equal('no queues\n');
    expect(processes!.stdout).to.equal('no processes\n');
    expect(busy!.stdout).to.equal('no jobs running\n');
    expect(dead!.stdout).to.equal('no dead jobs\n');
    expect(retries!.stdout).to.equal('no retries\n');
    expect(scheduled!.stdout).to.equal('no scheduled jobs\n');
  });

  it('reads the concurrency of a Sidekiq 8.1 process from its hash field (8.1 has none in info)', async () => {
    // HGETALL of a real 8.1.7 process (test/interop/fixtures/sidekiq-wire/)
    const id = 'vm:758:3364f79d63ee';
    const info =
      '{"hostname":"vm","started_at":1796286257.9873204,"pid":758,"tag":"interop","capsules":{"default":{"concurrency":5,"mode":"strict","weights":{"default":0,"low":0}}},' +
      '"queues":["default","low"],"weights":[{"default":0,"low":0}],"labels":[],"identity":"vm:758:3364f79d63ee","version":"8.1.7","embedded":false}';
    await redis.client.multi().sadd('processes', id).hset(id, 'info', info, 'busy', '1', 'quiet', 'false', 'rss', '25540', 'beat', String(Date.now() / 1000), 'concurrency', '5', 'rtt_us', '84').exec();
    const result = await runInProcess(['processes', '--json'], { redisUrl: redis.url });
    expect((JSON.parse(result.stdout) as { concurrency: number }[]).map((p) => p.concurrency)).to.deep.equal([5]);
  });

  it('quiet / stop push TSTP / TERM to <identity>-signals with a 60 s TTL; unknown or ambiguous processes send nothing', async () => {
    await seed();
    const [quiet, unknown, ambiguous] = await runKiqMany([['quiet', 'vm:12479'], ['quiet', A, 'nope'], ['stop', 'vm:']], { redisUrl: redis.url });
    expect(quiet!.code, describeRun(quiet!)).to.equal(0);
    expect(quiet!.stdout).to.equal(`TSTP sent to ${A}\n`);
    expect(unknown!.code).to.equal(3);
    expect(unknown!.stderr).to.equal(`kiq quiet: no live process 'nope' (live: ${A}, ${B})\n`);
    expect(ambiguous!.code).to.equal(2);
    expect(ambiguous!.stderr).to.match(/^kiq stop: 'vm:' names 2 processes/);
    expect(await redis.client.lrange(`${A}-signals`, 0, -1)).to.deep.equal(['TSTP']);
    expect(await redis.client.ttl(`${A}-signals`)).to.be.within(55, 60);
    expect(await redis.client.exists(`${B}-signals`)).to.equal(0);

    const [stopAll] = await runKiqMany([['stop', '--all']], { redisUrl: redis.url });
    expect(stopAll!.stdout).to.equal(`TERM sent to ${A}\nTERM sent to ${B}\n`);
    expect(await redis.client.lrange(`${A}-signals`, 0, -1)).to.deep.equal(['TERM', 'TSTP']);
    expect(await redis.client.lrange(`${B}-signals`, 0, -1)).to.deep.equal(['TERM']);
    expect(await redis.client.ttl(`${B}-signals`)).to.be.within(55, 60);
    expect(await redis.client.exists(`${STALE}-signals`), 'not live: no signal').to.equal(0);
  });
});
