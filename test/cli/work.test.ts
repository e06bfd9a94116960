/**
 * `kiq work` as a real process: loads an ESM and a CommonJS worker module,
 * performs jobs, quiets on SIGTSTP (seen in its heartbeat), stops
 * gracefully on SIGTERM (exit 0, unregistered) and exits 1 at once on a
 * second signal; start-up errors exit 1 or 2 with one line.
 */
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';
import { describeRun, runKiqMany, spawnKiq, watch, ROOT } from './support.js';

function sidekiqJob(cls: string, args: unknown[], jid: string, queue = 'cli'): string {
  return JSON.stringify({ retry: true, queue, class: cls, args, jid, created_at: Date.now() / 1000, enqueued_at: Date.now() / 1000 });
}

describe('kiq work', function () {
  this.timeout(40_000);
  const redis = useRedis();
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('performs jobs of ESM and CommonJS modules; SIGTSTP quiets it (heartbeat), SIGTERM stops it gracefully (exit 0)', async () => {
    await redis.client
      .multi()
      .sadd('queues', 'cli')
      .lpush('queue:cli', sidekiqJob('CliEcho', [1, 'two'], 'e00000000000000000000001'), sidekiqJob('CliCjs', ['x'], 'e00000000000000000000002'))
      .exec();
    const child = spawnKiq(
      ['work', '-r', 'test/cli/fixtures/workers.ts', '--require', './test/cli/fixtures/workers.cjs', '-q', 'cli:3', '--tag', 'ci', '--timeout', '5'],
      { redisUrl: redis.url },
    );
    children.push(child);
    const { out, exited, until } = watch(child);
    await until('start', () => out.stdout.includes('started:'));
    const identity = /^ {2}identity +(\S+)$/m.exec(out.stdout)?.[1];
    expect(identity, out.stdout).to.match(/^[^:]+:\d+:[0-9a-f]{12}$/);
    expect(out.stdout).to.match(/^kiq \d+\.\d+\.\d+\S* \(node v\d+\S*, pid \d+\)$/m);
    expect(out.stdout).to.include(`  redis       ${redis.url}\n`);
    expect(out.stdout).to.include('  queues      cli (3)\n');
    expect(out.stdout).to.include('  workers     CliEcho, CliSlow, CliCjs\n');
    expect(out.stdout).to.include('  tag         ci\n');
    expect(out.stdout).to.include('  timeout     5 s\n');

    await until('both jobs performed', async () => (await redis.client.llen('cli:performed')) === 2);
    expect((await redis.client.lrange('cli:performed', 0, -1)).sort()).to.deep.equal(['CliCjs:["x"]', 'CliEcho:[1,"two"]']);
    expect(await redis.client.sismember('processes', identity!)).to.equal(1);
    expect(await redis.client.hget(identity!, 'quiet')).to.equal('false');
    // --tag reaches the heartbeat, where the Web UI's Busy page reads it
    expect(JSON.parse((await redis.client.hget(identity!, 'info'))!).tag).to.equal('ci');

    child.kill('SIGTSTP');
    await until('the quiet line', () => out.stdout.includes('SIGTSTP: quiet'));
    // the next heartbeat (every 5 s) says quiet; the process was not suspended
    await until('quiet "true" in the heartbeat', async () => (await redis.client.hget(identity!, 'quiet')) === 'true', 12_000);

    child.kill('SIGTERM');
    expect(await exited, `${out.stdout}\n${out.stderr}`).to.equal(0);
    expect(out.stdout).to.include('SIGTERM: stopping');
    expect(out.stdout).to.match(/stopped\n$/);
    expect(await redis.client.sismember('processes', identity!)).to.equal(0);
    expect(await redis.client.exists(identity!)).to.equal(0);
  });

  it('SIGTTIN logs the running jobs and the actor tree and keeps serving (not stopped); kiq dump does it through Redis', async () => {
    await redis.client.multi().sadd('queues', 'cli').lpush('queue:cli', sidekiqJob('CliSlow', [60_000], 'e00000000000000000000004')).exec();
    const child = spawnKiq(['work', '-r', 'test/cli/fixtures/workers.ts', '-q', 'cli:2', '--timeout', '0'], { redisUrl: redis.url });
    children.push(child);
    const { out, exited, until } = watch(child);
    await until('the slow job to start', () => out.stdout.includes('"event":"job_started"'));
    const identity = /^ {2}identity +(\S+)$/m.exec(out.stdout)![1]!;
    const dumps = () => out.stdout.split('\n').filter((line) => line.includes('"event":"dump"')).map((line) => JSON.parse(line) as { running: { jid: string }[]; tree: { id: string; children: { id: string }[] } });

    child.kill('SIGTTIN');
    await until('the dump', () => dumps().length === 1);
    const [dump] = dumps();
    expect(dump!.running.map((job) => job.jid)).to.deep.equal(['e00000000000000000000004']);
    expect(dump!.tree.id).to.equal('kiq');
    expect(dump!.tree.children.map((c) => c.id)).to.include('queue:cli');
    // still serving: TTIN's default action (stop the process) did not happen
    await redis.client.lpush('queue:cli', sidekiqJob('CliEcho', ['after'], 'e00000000000000000000005'));
    await until('a job after the dump', async () => (await redis.client.lrange('cli:performed', 0, -1)).includes('CliEcho:["after"]'));

    // kiq dump <identity prefix>: TTIN through Redis, taken at the next beat (every 5 s)
    const [sent] = await runKiqMany([['dump', identity.split(':').slice(0, 2).join(':')]], { redisUrl: redis.url });
    expect(sent!.code, describeRun(sent!)).to.equal(0);
    expect(sent!.stdout).to.equal(`TTIN sent to ${identity}\n`);
    await until('the dump through Redis', () => dumps().length === 2, 15_000);

    child.kill('SIGTERM');
    expect(await exited, `${out.stdout}\n${out.stderr}`).to.equal(0);
  });

  it('kiq dump: no such process exits 3 and sends nothing; -c gets a hint to give concurrency per queue', async () => {
    const [missing, concurrency] = await runKiqMany([['dump', 'nope'], ['work', '-r', 'x.js', '-c', '10']], { redisUrl: redis.url });
    expect(missing!.code, describeRun(missing!)).to.equal(3);
    expect(missing!.stderr).to.equal("kiq dump: no live process 'nope' (no process is live)\n");
    expect(await redis.client.exists('nope-signals')).to.equal(0);
    expect(concurrency!.code).to.equal(2);
    expect(concurrency!.stderr).to.match(/^kiq work: unknown option -c: concurrency is per queue, e\.g\. -q default:10 -q mailers:5 /);
  });

  it('a second signal while stopping exits 1 at once', async () => {
    await redis.client.multi().sadd('queues', 'cli').lpush('queue:cli', sidekiqJob('CliSlow', [30_000], 'e00000000000000000000003')).exec();
    const child = spawnKiq(['work', '-r', 'test/cli/fixtures/workers.ts', '-q', 'cli'], { redisUrl: redis.url });
    children.push(child);
    const { out, exited, until } = watch(child);
    await until('the slow job to start', () => out.stdout.includes('"event":"job_started"'));
    child.kill('SIGTERM');
    await until('stopping', () => out.stdout.includes('SIGTERM: stopping'));
    const signalled = Date.now();
    child.kill('SIGINT');
    expect(await exited).to.equal(1);
    expect(Date.now() - signalled).to.be.below(5_000);
    expect(out.stderr).to.include('kiq work: SIGINT again: exiting now');
  });

  it('start-up errors: a missing module or one without workers or bad options exits 2; a module that throws or no Redis exits 1', async () => {
    const [missing, none, bad, broken, unreachable] = await runKiqMany(
      [
        ['work', '-r', 'test/cli/fixtures/nope.js'],
        ['work', '-r', 'test/cli/fixtures/no-workers.mjs'],
        ['work', '-r', 'test/cli/fixtures/bad-options.mjs'],
        ['work', '-r', 'test/cli/fixtures/broken.mjs'],
        ['work', '-r', 'test/cli/fixtures/workers.cjs', '--redis-url', 'redis://127.0.0.1:1'],
      ],
      { redisUrl: redis.url },
      5,
    );
    expect(missing!.code, describeRun(missing!)).to.equal(2);
    expect(missing!.stderr).to.equal(`kiq work: cannot find worker module 'test/cli/fixtures/nope.js' (looked for ${ROOT}test/cli/fixtures/nope.js); see 'kiq work --help'\n`);
    expect(none!.code).to.equal(2);
    expect(none!.stderr).to.match(/^kiq work: no workers found in test\/cli\/fixtures\/no-workers\.mjs: export objects with a string 'class' and a 'perform' function/);
    expect(bad!.code).to.equal(2);
    expect(bad!.stderr).to.match(/^kiq work: invalid options: expected option "poolSize" to be a positive integer, got: 0/);
    expect(broken!.code).to.equal(1);
    expect(broken!.stderr).to.equal("kiq work: cannot load worker module 'test/cli/fixtures/broken.mjs': database config missing\n");
    expect(unreachable!.code).to.equal(1);
    expect(unreachable!.stderr).to.equal('kiq work: cannot reach Redis at redis://127.0.0.1:1: connection refused (is redis-server running on that host and port?)\n');
    for (const result of [missing, none, bad, broken, unreachable]) expect(result!.stdout).to.equal('');
  });
});
