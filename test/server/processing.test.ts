import { expect } from 'chai';
import { excerpt } from '../../src/job/dead-letter.js';
import { Kiq, defineWorker, type KiqOptions, type Worker } from '../../src/index.js';
import { gatedWorker } from '../support/gated-worker.js';
import { useKiqs } from '../support/kiqs.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { deferred, until } from '../support/wait.js';

/** Jobs performed, by jid, in order. */
const performed: { jid: string; args: unknown[] }[] = [];
let onPerform: (() => void) | undefined;

const Echo = defineWorker({
  class: 'Echo',
  queue: 'work',
  perform(args: unknown[], ctx) {
    performed.push({ jid: ctx.jid, args });
    onPerform?.();
  },
});
const Boom = defineWorker({
  class: 'Boom',
  queue: 'work',
  perform(): never {
    throw new Error('bad stuff happened');
  },
});

describe('Processing jobs (real Redis)', function () {
  this.timeout(20_000);
  const redis = useRedis();
  const kiqs = useKiqs(() => ({ redisUrl: redis.url, queues: { work: 5 }, fetchInterval: 50, pollInterval: 50 }));

  /** A started server with Echo, Boom and `workers`. */
  const server = (options: KiqOptions = {}, workers: Worker<never>[] = []): Promise<Kiq> =>
    kiqs.start({ workers: [Echo, Boom, ...(workers as Worker[])], ...options });

  beforeEach(() => {
    performed.length = 0;
    onPerform = undefined;
  });

  it('runs an enqueued job and leaves the queue and the private list empty', async () => {
    const kiq = await server();
    const ran = deferred(5000, 'perform');
    onPerform = () => ran.resolve();
    const job = await kiq.enqueue(Echo, [1, 'two']);
    await ran.promise;
    expect(performed).to.deep.equal([{ jid: job.jid, args: [1, 'two'] }]);
    await until(async () => (await redis.client.llen(`queue:sq|${kiq.identity}|work`)) === 0, 5000, 'ack');
    expect(await redis.client.llen('queue:work')).to.equal(0);
  });

  it('runs many jobs, each exactly once', async () => {
    const kiq = await server({ queues: { work: 20 } });
    const all = deferred(10_000, '500 performs');
    onPerform = () => performed.length === 500 && all.resolve();
    const jobs = await Promise.all(Array.from({ length: 500 }, (_, i) => kiq.enqueue(Echo, [i])));
    await all.promise;
    expect(new Set(performed.map((p) => p.jid))).to.deep.equal(new Set(jobs.map((j) => j.jid)));
  });

  it('keeps processing after every Redis client connection is killed (CLIENT KILL TYPE normal)', async () => {
    const kiq = await server();
    const first = deferred(5000, 'first perform');
    onPerform = () => first.resolve();
    await kiq.enqueue(Echo, ['before']);
    await first.promise;
    await redis.client.call('CLIENT', 'KILL', 'TYPE', 'normal');
    const second = deferred(10_000, 'perform after the kill');
    onPerform = () => second.resolve();
    await kiq.enqueue(Echo, ['after']);
    await second.promise;
    expect(performed.map((p) => p.args[0])).to.deep.equal(['before', 'after']);
  });

  it('puts a failing job in retry with Sidekiq failure fields (first failure: retry_count 0)', async () => {
    const kiq = await server();
    const job = await kiq.enqueue(Boom, []);
    await until(async () => (await redis.client.zcard('retry')) === 1, 5000, 'retry entry');
    const [member, score] = await redis.client.zrange('retry', '0', '-1', 'WITHSCORES');
    const failed = JSON.parse(member!);
    expect(failed).to.include({ jid: job.jid, retry_count: 0, error_class: 'Error', error_message: 'bad stuff happened', queue: 'work' });
    expect(failed.failed_at).to.be.a('number');
    const delay = Number(score) - failed.failed_at;
    expect(delay).to.be.within(15, 25);
    expect(await redis.client.llen(`queue:sq|${kiq.identity}|work`)).to.equal(0);
  });

  it('moves a job with exhausted retries to the dead set; dead: false discards it instead', async () => {
    const kiq = await server();
    await kiq.enqueue({ class: 'Boom', queue: 'work', args: ['kept'], retry: true, retry_count: 25 });
    await kiq.enqueue({ class: 'Boom', queue: 'work', args: ['dropped'], retry: true, retry_count: 25, dead: false });
    await until(async () => (await redis.client.zcard('dead')) === 1, 5000, 'dead entry');
    await until(async () => (await redis.client.llen(`queue:sq|${kiq.identity}|work`)) === 0, 5000, 'both settled');
    const [dead] = await redis.client.zrange('dead', '0', '-1');
    expect(JSON.parse(dead!).args).to.deep.equal(['kept']);
    expect(await redis.client.zcard('retry')).to.equal(0);
  });

  it('skips an expired job without retrying it and runs one that is still valid', async () => {
    const kiq = await server();
    const ran = deferred(5000, 'valid job');
    onPerform = () => ran.resolve();
    await kiq.enqueue({ class: 'Echo', queue: 'work', args: ['expired'], expires_at: Date.now() / 1000 - 5 });
    await kiq.enqueue({ class: 'Echo', queue: 'work', args: ['valid'], expires_at: Date.now() / 1000 + 60 });
    await ran.promise;
    await until(async () => (await redis.client.llen(`queue:sq|${kiq.identity}|work`)) === 0, 5000, 'acks');
    expect(performed.map((p) => p.args[0])).to.deep.equal(['valid']);
    expect(await redis.client.zcard('retry')).to.equal(0);
    expect(await redis.client.zcard('dead')).to.equal(0);
  });

  it('runs scheduled jobs when due (queue names with - _ . : included)', async () => {
    const queues = { 'with-dash': 1, with_underscore: 1, 'with.dot': 1, 'with:colon': 1 };
    const kiq = await server({ queues });
    const all = deferred(10_000, 'scheduled performs');
    onPerform = () => performed.length === 4 && all.resolve();
    for (const queue of Object.keys(queues)) await kiq.enqueue(Echo, [queue], { queue, in: 100 });
    await kiq.flush();
    expect(await redis.client.zcard('schedule')).to.equal(4);
    await all.promise;
    expect(performed.map((p) => p.args[0]).sort()).to.deep.equal(Object.keys(queues).sort());
    expect(await redis.client.zcard('schedule')).to.equal(0);
  });

  it('runs scheduled and retried jobs nested 5,000 levels deep (written by another producer), as it runs them from a queue', async () => {
    await server();
    const depth = 5_000;
    const deep = `${'['.repeat(depth)}"leaf"${']'.repeat(depth)}`;
    const job = (tag: string, jid: string) => `{"class":"Echo","args":["${tag}",${deep}],"queue":"work","jid":"${jid}","retry":true}`;
    const all = deferred(10_000, 'three deep performs');
    onPerform = () => performed.length === 3 && all.resolve();
    const now = Date.now() / 1000;
    await redis.client.multi().sadd('queues', 'work').lpush('queue:work', job('queued', 'a1')).exec();
    await redis.client.zadd('schedule', now - 1, job('scheduled', 'a2'));
    await redis.client.zadd('retry', now - 1, job('retried', 'a3'));
    await all.promise;
    expect(performed.map((p) => p.args[0]).sort()).to.deep.equal(['queued', 'retried', 'scheduled']);
    // the nesting arrived whole (counted iteratively: JSON.stringify's recursion would overflow)
    for (const p of performed) {
      let levels = 0;
      for (let node = p.args[1]; Array.isArray(node); node = node[0]) levels++;
      expect(levels).to.equal(depth);
    }
    expect(await redis.client.zcard('dead')).to.equal(0);
  });

  it('sends undecodable payloads to the dead set wrapped with the raw string and the reason, logs each once, and keeps the queue flowing', async () => {
    const logger = silent();
    const kiq = await server({ logger });
    const ran = deferred(5000, 'good job');
    onPerform = () => ran.resolve();
    const big = `{"class":"Echo","args":${JSON.stringify(['x'.repeat(200_000)])}`;
    const raws = ['this is not json', '{"no":"class","jid":"j-no-class"}', big, '42', '["an","array"]'];
    await redis.client.lpush('queue:work', ...raws);
    await redis.client.sadd('queues', 'work');
    await kiq.enqueue(Echo, ['after']);
    await ran.promise;
    await until(async () => (await redis.client.zcard('dead')) === raws.length, 5000, 'dead entries');
    const dead = (await redis.client.zrange('dead', '0', '-1', 'WITHSCORES')).flatMap((entry, i, all) =>
      i % 2 === 0 ? [{ entry: JSON.parse(entry) as Record<string, unknown>, score: Number(all[i + 1]) }] : [],
    );
    // every entry is a job-shaped object carrying the original text and the reason
    expect(dead.map(({ entry }) => (entry.args as string[])[0]).sort()).to.deep.equal([...raws].sort());
    for (const { entry } of dead) {
      expect(entry).to.include({ class: 'Kiq::InvalidJob', queue: 'work', error_class: 'InvalidJobError', kiq_source: 'queue:work', retry: 0 });
      expect(entry.error_message).to.match(/^invalid job: /);
    }
    expect(dead.find(({ entry }) => (entry.args as string[])[0] === raws[1])!.entry.jid).to.equal('j-no-class');
    // one job_invalid line per entry, naming the dead entry's jid and score and the first 200 bytes
    await until(() => logger.lines.filter((line) => line.includes('"job_invalid"')).length === raws.length, 5000, 'job_invalid lines');
    const lines = logger.lines.filter((line) => line.includes('"job_invalid"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines) {
      const match = dead.find(({ entry }) => entry.jid === line.jid);
      expect(match, `a dead entry for ${String(line.jid)}`).to.not.equal(undefined);
      expect(line).to.include({ from: 'queue:work', dead_score: match!.score, excerpt: excerpt((match!.entry.args as string[])[0]!) });
      expect(line.reason).to.equal(match!.entry.error_message);
    }
    expect(lines.find((line) => line.jid === 'j-no-class')!.excerpt).to.equal('{"no":"class","jid":"j-no-class"}');
    expect((lines.find((line) => String(line.excerpt).startsWith('{"class":"Echo"'))!.excerpt as string).length).to.equal(200);
    expect(performed.map((p) => p.args[0])).to.deep.equal(['after']);
  });

  it('logs each entry the pollers dead-letter once, with the dead entry\'s jid and score and an excerpt', async () => {
    const logger = silent();
    const now = Date.now() / 1000;
    await redis.client.zadd('schedule', now - 5, '42', now - 4, '{"jid":"sched-noqueue","class":"A","args":[]}');
    await redis.client.zadd('retry', now - 3, 'not json');
    await server({ logger });
    await until(() => logger.lines.filter((line) => line.includes('"job_invalid"')).length >= 3, 5000, 'job_invalid lines');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = logger.lines.filter((line) => line.includes('"job_invalid"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).to.have.length(3);
    const dead = await redis.client.zrange('dead', '0', '-1', 'WITHSCORES');
    for (const line of lines) {
      const at = dead.findIndex((entry, i) => i % 2 === 0 && (JSON.parse(entry) as { jid: string }).jid === line.jid);
      expect(at, `dead entry ${String(line.jid)}`).to.be.at.least(0);
      expect(line.dead_score).to.equal(Number(dead[at + 1]));
      expect(line.reason).to.equal((JSON.parse(dead[at]!) as { error_message: string }).error_message);
    }
    expect(lines.map((line) => [line.from, line.excerpt]).sort()).to.deep.equal(
      [['retry', 'not json'], ['schedule', '42'], ['schedule', '{"jid":"sched-noqueue","class":"A","args":[]}']].sort(),
    );
    expect(lines.find((line) => line.excerpt === '42')!.reason).to.equal('invalid job: not a JSON object');
  });

  it('an idle queue takes each lone job with one BLMOVE, then one fetch for the burst behind it (carrying its ack: test/server/fetch-ack.test.ts), and waits again without a SISMEMBER of its own', async () => {
    // fetchInterval long enough that no wait times out during the test
    await server({ fetchInterval: 5000 });
    const client = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    await client.start();
    try {
      // a client blocked in Redis (CLIENT LIST flags=b): the queue waits in BLMOVE
      const waiting = async () => / flags=b /.test(String(await redis.client.client('LIST')));
      await until(waiting, 5000, 'the queue blocks');
      const before = await commandStats(redis.client);
      const jobs = 20;
      for (let i = 0; i < jobs; i++) {
        const ran = deferred(5000, `perform ${i}`);
        onPerform = () => ran.resolve();
        await client.enqueue(Echo, [i], { confirm: true });
        await ran.promise;
        // the queue is waiting again before the next job comes (a BLMOVE is counted once it returns)
        await until(async () => (await commandStats(redis.client)).blmove === before.blmove + i + 1 && (await waiting()), 5000, `wait ${i + 1}`);
      }
      const after = await commandStats(redis.client);
      expect(performed).to.have.length(jobs);
      expect(after.blmove - before.blmove, 'one BLMOVE per job').to.equal(jobs);
      // per job: the fetch after the BLMOVE moves nothing (one LMOVE that finds the queue empty)
      expect(after.lmove - before.lmove, 'one fetch per job, after its BLMOVE').to.equal(jobs);
      // and asks `paused` once; the wait after it does not ask again (it would be twice per job)
      expect(after.sismember - before.sismember, 'SISMEMBER calls (direct and inside fetch-jobs)').to.be.at.most(jobs + 2);
    } finally {
      await client.stop();
    }
  });

  it('quiet: fetches nothing new until resumed', async () => {
    const kiq = await server({ quiet: true });
    await kiq.enqueue(Echo, ['while quiet'], { confirm: true });
    // an observation window, not a synchronisation: a fetcher that is not
    // quiet takes a job within one 50 ms blocking wait
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await redis.client.llen('queue:work'), 'still waiting while quiet').to.equal(1);
    expect(performed).to.have.length(0);
    const ran = deferred(5000, 'perform after resume');
    onPerform = () => ran.resolve();
    kiq.configure({ quiet: false });
    await ran.promise;
  });

  it('stop() waits for running jobs, then requeues what it did not start, and unregisters', async () => {
    const slow = gatedWorker('Slow', 'work', { releaseMs: 10_000 });
    const kiq = await server({ queues: { work: 1 } }, [slow.worker as Worker<never>]);
    await kiq.enqueue(slow.worker, []);
    await kiq.enqueue(Echo, ['waiting']);
    await slow.started;
    const stopping = kiq.stop({ timeout: 5_000 });
    setTimeout(() => slow.release(), 100);
    await stopping;
    expect(await redis.client.lrange('queue:work', 0, -1).then((l) => l.map((raw) => JSON.parse(raw).args[0]))).to.deep.equal(['waiting']);
    expect(await redis.client.exists(`queue:sq|${kiq.identity}|work`)).to.equal(0);
    expect(await redis.client.sismember('super_processes', kiq.identity)).to.equal(0);
    expect(await redis.client.exists(kiq.identity)).to.equal(0);
  });

  it('stop() with idle queues ends their blocking fetches (CLIENT UNBLOCK) instead of waiting each one out, and loses nothing', async () => {
    // stopped one at a time, each idle queue used to wait out its BLMOVE of up to fetchInterval
    const fetchInterval = 10_000;
    const queues = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`idle${i}`, 1]));
    const kiq = await server({ queues, fetchInterval });
    const blocked = async () => String(await redis.client.client('LIST')).split('\n').filter((line: string) => / cmd=blmove /.test(line)).length;
    await until(async () => (await blocked()) === 10, 10_000, 'every queue waiting in its BLMOVE');
    const t0 = performance.now();
    await kiq.stop();
    const tookMs = performance.now() - t0;
    expect(tookMs, `stop() took ${Math.round(tookMs)} ms`).to.be.below(fetchInterval);
    expect(await blocked()).to.equal(0);
    for (const name of Object.keys(queues)) expect(await redis.client.exists(`queue:sq|${kiq.identity}|${name}`)).to.equal(0);
  });

  it('stop() of a paused idle queue ends its wait at once too', async () => {
    const fetchInterval = 10_000;
    await redis.client.sadd('paused', 'held');
    const kiq = await server({ queues: { held: 1 }, fetchInterval });
    await redis.client.lpush('queue:held', JSON.stringify({ class: 'Echo', args: ['kept'], jid: 'a'.repeat(24), queue: 'held', retry: true, created_at: 1, enqueued_at: 1 }));
    // the fetcher waits in `blocking`: a paused queue's wait is a timer, not a BLMOVE
    await until(() => JSON.stringify(kiq.dump().tree).includes('"value":"blocking"'), 10_000, 'the fetcher in its paused wait');
    const t0 = performance.now();
    await kiq.stop();
    expect(performance.now() - t0).to.be.below(fetchInterval);
    expect(await redis.client.llen('queue:held')).to.equal(1);
  });

  it('stop() aborts jobs still running at its timeout and requeues them at the front', async () => {
    let sawAbort = false;
    const started = deferred(5000, 'stuck started');
    const Stuck = defineWorker({
      class: 'Stuck',
      queue: 'work',
      perform(_args: [], ctx) {
        started.resolve();
        return new Promise<void>((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('aborted'));
          }),
        );
      },
    });
    const logger = silent();
    const kiq = await server({ queues: { work: 1 }, logger }, [Stuck as Worker<never>]);
    const job = await kiq.enqueue(Stuck, []);
    await started.promise;
    await kiq.enqueue(Echo, ['behind']);
    await kiq.flush();
    await kiq.stop({ timeout: 200 });
    expect(sawAbort).to.equal(true);
    const queue = await redis.client.lrange('queue:work', 0, -1);
    expect(JSON.parse(queue.at(-1)!).jid, 'the aborted job runs next').to.equal(job.jid);
    expect(await redis.client.zcard('retry')).to.equal(0);
    // the requeue is logged: the job will run again
    const requeued = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'jobs_requeued');
    expect(requeued).to.deep.equal([{ source: 'kiq', event: 'jobs_requeued', queue: 'work', count: 1 }]);
  });

  it('a job left in a dead process private list is recovered and run by another process', async () => {
    const orphan = 'deadhost:1:aaaaaaaaaaaa';
    await redis.client.sadd('super_processes', orphan);
    await redis.client.sadd(`${orphan}:super_queues`, `queue:sq|${orphan}|work`);
    await redis.client.lpush(`queue:sq|${orphan}|work`, JSON.stringify({ class: 'Echo', queue: 'work', args: ['orphan'], jid: 'aaaaaaaaaaaaaaaaaaaaaaaa' }));
    const ran = deferred(5000, 'orphan performed');
    onPerform = () => ran.resolve();
    // a short lease: recovery waits until Redis has been up for a ttl (the run's Redis may be young)
    await server({ livenessTtl: 1_000 });
    await ran.promise;
    expect(performed[0]!.jid).to.equal('aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(await redis.client.sismember('super_processes', orphan)).to.equal(0);
  });

  it('releases a unique lock after success, and at start for uniqueUntil: start even when the job fails', async () => {
    const kiq = await server();
    const ran = deferred(5000, 'unique job');
    onPerform = () => ran.resolve();
    await kiq.enqueue(Echo, ['u'], { uniqueFor: 60_000 });
    await ran.promise;
    await until(async () => (await redis.client.keys('unique:*')).length === 0, 5000, 'lock released after success');
    await kiq.enqueue(Boom, ['s'], { uniqueFor: 60_000, uniqueUntil: 'start' });
    await until(async () => (await redis.client.zcard('retry')) === 1, 5000, 'failed');
    expect(await redis.client.keys('unique:*')).to.deep.equal([]);
    await kiq.enqueue(Boom, ['kept'], { uniqueFor: 60_000 });
    await until(async () => (await redis.client.zcard('retry')) === 2, 5000, 'failed again');
    expect(await redis.client.keys('unique:*'), 'a failing success-policy job keeps its lock').to.have.length(1);
  });
});

/** Calls so far of BLMOVE and SISMEMBER (INFO commandstats; Lua-issued calls included). */
async function commandStats(redis: { info(section: string): Promise<string> }): Promise<{ blmove: number; lmove: number; sismember: number }> {
  const info = await redis.info('commandstats');
  const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { blmove: calls('blmove'), lmove: calls('lmove'), sismember: calls('sismember') };
}
