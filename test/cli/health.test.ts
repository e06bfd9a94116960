/**
 * `kiq health` reads processes' heartbeats (exit 0 ok, 1 failing), and
 * `kiq work --health-port` serves /healthz from a real `kiq work` process.
 */
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { Kiq, defineWorker } from '../../src/index.js';
import { kBeat } from '../../src/server/heartbeat.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { describeRun, runInProcess, spawnKiq, watch } from './support.js';

describe('kiq health', function () {
  this.timeout(40_000);
  const redis = useRedis();
  const kiqs: Kiq[] = [];
  const children: ChildProcess[] = [];
  const Echo = defineWorker({ class: 'CliHealthEcho', queue: 'default', async perform() {} });

  afterEach(async () => {
    for (const kiq of kiqs.splice(0)) await kiq.stop({ timeout: 1_000 }).catch(() => undefined);
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  async function start(): Promise<Kiq> {
    const kiq = new Kiq({ redisUrl: redis.url, queues: { default: 2 }, workers: [Echo], fetchInterval: 50, logger: silent() });
    kiqs.push(kiq);
    await kiq.start();
    return kiq;
  }

  it('exits 0 for a healthy process, by identity, by prefix and for all', async () => {
    const kiq = await start();
    for (const args of [['health', kiq.identity], ['health', kiq.identity.slice(0, -4)], ['health']]) {
      const run = await runInProcess(args, { redisUrl: redis.url });
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stdout).to.match(new RegExp(`^ok +${kiq.identity.replace(/[.]/g, '\\.')}  beat .* ago, busy 0/2`));
    }
    await kiq[kBeat]();
    expect(JSON.parse((await redis.client.hget(kiq.identity, 'kiq_health'))!)).to.deep.equal({ status: 'ok', reasons: [] });
    const json = await runInProcess(['health', '--json'], { redisUrl: redis.url });
    const [entry] = JSON.parse(json.stdout) as { identity: string; status: string; reasons: string[] }[];
    expect(entry).to.include({ identity: kiq.identity, status: 'ok' });
  });

  it('exits 1 when a queue cannot fetch (kiq_errors), and 0 again once fixed', async () => {
    const kiq = await start();
    await redis.client.set('queue:default', 'not a list');
    // the failure is posted at the next beat
    let run = await runInProcess(['health', kiq.identity], { redisUrl: redis.url });
    for (let i = 0; i < 50 && run.code === 0; i++) {
      await kiq[kBeat]();
      run = await runInProcess(['health', kiq.identity], { redisUrl: redis.url });
    }
    expect(run.code, describeRun(run)).to.equal(1);
    expect(run.stdout).to.match(/^failing /);
    expect(run.stdout).to.match(/fetch:default: .*WRONGTYPE/);

    await redis.client.del('queue:default');
    for (let i = 0; i < 50 && run.code !== 0; i++) {
      await kiq[kBeat]();
      run = await runInProcess(['health', kiq.identity], { redisUrl: redis.url });
    }
    expect(run.code, describeRun(run)).to.equal(0);
  });

  it('exits 1 for an unknown identity and for a heartbeat that stopped beating', async () => {
    const none = await runInProcess(['health'], { redisUrl: redis.url });
    expect(none.code, 'no live process is not healthy').to.equal(1);
    expect(none.stdout).to.equal('no live processes\n');
    const unknown = await runInProcess(['health', 'nope:1:abc'], { redisUrl: redis.url });
    expect(unknown.code).to.equal(1);
    expect(unknown.stdout).to.match(/^failing +nope:1:abc  no heartbeat/);
    const beat = Date.now() / 1000 - 45;
    await redis.client.multi().sadd('processes', 'old:1:abc').hset('old:1:abc', 'info', JSON.stringify({ hostname: 'old', pid: 1 }), 'beat', String(beat), 'busy', '0', 'quiet', 'false').exec();
    const stale = await runInProcess(['health'], { redisUrl: redis.url });
    expect(stale.code).to.equal(1);
    expect(stale.stdout).to.match(/last beat 4\d s ago/);

    // what a process published at its last beat (kiq_health) counts: degraded exits 0, failing 1
    await redis.client.del('old:1:abc');
    await redis.client.srem('processes', 'old:1:abc');
    const publish = async (status: string, reason: string) =>
      redis.client.multi().sadd('processes', 'pub:1:abc').hset('pub:1:abc', 'info', '{}', 'beat', String(Date.now() / 1000), 'busy', '0', 'quiet', 'false', 'kiq_errors', '[]', 'kiq_health', JSON.stringify({ status, reasons: [reason] })).exec();
    await publish('degraded', 'queue default: last fetch failed');
    const degraded = await runInProcess(['health', 'pub:1:abc'], { redisUrl: redis.url });
    expect(degraded.code, describeRun(degraded)).to.equal(0);
    expect(degraded.stdout).to.match(/^degraded +pub:1:abc .*\n +queue default: last fetch failed\n$/);
    await publish('failing', 'queue default: no successful fetch for 31000 ms');
    const failing = await runInProcess(['health', 'pub:1:abc'], { redisUrl: redis.url });
    expect(failing.code, describeRun(failing)).to.equal(1);
    expect(failing.stdout).to.include('queue default: no successful fetch for 31000 ms');
  });

  it('kiq work --health-port 0 serves /healthz, /readyz and /metrics; a bad port is a usage error', async () => {
    const child = spawnKiq(['work', '-r', 'test/cli/fixtures/workers.ts', '-q', 'cli:2', '--timeout', '0', '--health-port', '0'], { redisUrl: redis.url });
    children.push(child);
    const { out, exited, until } = watch(child);
    await until('the health line', () => /health: http:\/\/127\.0\.0\.1:\d+\/healthz/.test(out.stdout));
    const port = /health: http:\/\/127\.0\.0\.1:(\d+)\/healthz/.exec(out.stdout)![1]!;
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(healthz.status).to.equal(200);
    expect(((await healthz.json()) as { status: string }).status).to.equal('ok');
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).to.match(/^# HELP kiq_/m);
    child.kill('SIGTERM');
    expect(await exited, out.stderr).to.equal(0);

    const bad = await runInProcess(['work', '-r', 'x.js', '--health-port', '99999']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/option --health-port expects a TCP port \(0 to 65535\), got '99999'/);
  });
});
