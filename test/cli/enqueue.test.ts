/**
 * `kiq enqueue`: jobs reach Redis in Sidekiq's format (immediate and
 * scheduled), jids on stdout, exit 0; exit 1 when Redis is unreachable.
 */
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';
import { describeRun, runKiqMany } from './support.js';

describe('kiq enqueue', () => {
  const redis = useRedis();

  it('pushes jobs (now, --in, --at, --count, --retry, -q) and prints their jids; unreachable Redis exits 1', async () => {
    const before = Date.now() / 1000;
    const [now, later, at, unreachable] = await runKiqMany(
      [
        ['enqueue', 'CliMailer', '[1,"two",{"three":null}]', '-q', 'mailers', '--count', '3', '--retry', '2'],
        ['enqueue', 'CliLater', '["x"]', '--in', '30s', '--json'],
        ['enqueue', 'CliAt', '--at', '2030-01-01T00:00:00Z', '--retry', 'false'],
        ['enqueue', 'CliNever', '--redis-url', 'redis://127.0.0.1:1'],
      ],
      { redisUrl: redis.url },
    );
    expect(now!.code, describeRun(now!)).to.equal(0);
    const jids = now!.stdout.trimEnd().split('\n');
    expect(jids).to.have.length(3);
    for (const jid of jids) expect(jid).to.match(/^[0-9a-f]{24}$/);
    const pushed = (await redis.client.lrange('queue:mailers', 0, -1)).map((j) => JSON.parse(j) as Record<string, unknown>);
    expect(pushed.map((j) => j.jid)).to.have.members(jids);
    for (const job of pushed) {
      expect(job).to.deep.include({ class: 'CliMailer', queue: 'mailers', retry: 2, args: [1, 'two', { three: null }] });
      expect(job.enqueued_at).to.be.within(before - 1, Date.now() / 1000 + 1);
    }
    expect(await redis.client.smembers('queues')).to.deep.equal(['mailers']);

    expect(later!.code, describeRun(later!)).to.equal(0);
    const [receipt] = JSON.parse(later!.stdout) as { jid: string; class: string; queue: string; status: string; at: string }[];
    expect(receipt).to.include({ class: 'CliLater', queue: 'default', status: 'scheduled' });
    const [member, score] = await redis.client.zrangebyscore('schedule', before + 29, before + 40, 'WITHSCORES');
    expect(JSON.parse(member!).jid).to.equal(receipt!.jid);
    expect(Date.parse(receipt!.at) / 1000).to.be.closeTo(Number(score), 1);

    expect(at!.code, describeRun(at!)).to.equal(0);
    const atJid = at!.stdout.trim();
    const [atMember, atScore] = await redis.client.zrangebyscore('schedule', 1893456000, 1893456000, 'WITHSCORES');
    expect(JSON.parse(atMember!)).to.include({ jid: atJid, class: 'CliAt', retry: false });
    expect(Number(atScore)).to.equal(1893456000);

    expect(unreachable!.code).to.equal(1);
    expect(unreachable!.stdout).to.equal('');
    expect(unreachable!.stderr).to.equal('kiq enqueue: cannot reach Redis at redis://127.0.0.1:1: connection refused (is redis-server running on that host and port?)\n');
  });

  it("-r: the job gets its worker's own queue, retry and expiry; -q and --retry override them; a class the modules lack exits 2", async () => {
    const module = 'test/cli/fixtures/enqueue-workers.mjs';
    const [own, overridden, unknown] = await runKiqMany(
      [
        ['enqueue', 'CliReport', '[42]', '-r', module],
        ['enqueue', 'CliReport', '[43]', '-r', module, '-q', 'urgent', '--retry', '1'],
        ['enqueue', 'CliReprt', '[44]', '-r', module],
      ],
      { redisUrl: redis.url },
    );
    expect(own!.code, describeRun(own!)).to.equal(0);
    const [job] = (await redis.client.lrange('queue:reports', 0, -1)).map((j) => JSON.parse(j) as Record<string, unknown>);
    expect(job).to.deep.include({ class: 'CliReport', queue: 'reports', retry: 3, expires_in: 60, args: [42], jid: own!.stdout.trim() });
    expect(overridden!.code, describeRun(overridden!)).to.equal(0);
    const [other] = (await redis.client.lrange('queue:urgent', 0, -1)).map((j) => JSON.parse(j) as Record<string, unknown>);
    expect(other).to.deep.include({ class: 'CliReport', queue: 'urgent', retry: 1, expires_in: 60, args: [43] });
    expect(unknown!.code).to.equal(2);
    expect(unknown!.stderr).to.equal(
      `kiq enqueue: no worker of class 'CliReprt' in ${module} (workers: CliReport); without -r any class is pushed as given; see 'kiq enqueue --help'\n`,
    );
    expect(await redis.client.llen('queue:default')).to.equal(0);
  });
});
