import { expect } from 'chai';
import diagnostics_channel from 'node:diagnostics_channel';
import { createActor, type Actor } from 'xstate';
import { createSupervisor, type SupervisorLogic } from '../../machines/supervisor.js';
import { defineWorker, Kiq, type Worker } from '../../src/index.js';
import type { Reporter } from '../../src/config/options.js';
import { MAX_TIMER_MS } from '../../src/config/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { KiqEmitter } from '../../src/events.js';
import { ConnectionPool } from '../../src/redis/connections.js';
import { ReporterBus } from '../../src/reporters/bus.js';
import { reportersSpec, reporterTargets } from '../../src/reporters/supervisor.js';
import { writeBeat } from '../support/write-beat.js';
import { queueLogic } from '../../src/server/queue-logic.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { recorder, summary } from './support.js';
import { HeldJobs } from '../../src/server/held-jobs.js';

const performed: number[] = [];
const Echo = defineWorker({
  class: 'Echo',
  queue: 'work',
  perform(args: [number]) {
    performed.push(args[0]);
  },
});
const Boom = defineWorker({
  class: 'Boom',
  queue: 'work',
  retry: 0,
  perform(): never {
    throw new Error('job failed');
  },
});

/**
 * The job path as the facade will wire it, on real Redis: a root supervisor with the reporters
 * subtree before one queue whose hooks are the bus (src/tree.ts order), a bus looking reporters up
 * in that root's system.
 */
describe('Reporters on the real job path (queue → hooks → bus → reporters, real Redis)', function () {
  this.timeout(20_000);
  const redis = useRedis();
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    performed.length = 0;
  });

  async function server(extraReporters: Reporter[]) {
    const logger = silent();
    const config = resolveConfig({ redisUrl: redis.url, queues: { work: 10 }, workers: [Echo as Worker, Boom as Worker], logger, extraReporters });
    const emitter = new KiqEmitter(logger);
    const pool = new ConnectionPool({ url: config.redisUrl, options: config.redis }, 2, 'kiq-test');
    await pool.connect();
    cleanup.push(() => pool.close());
    await writeBeat(pool.next(), config.identity, config.clock.realMs() / 1000);
    let root: Actor<SupervisorLogic> | undefined;
    const bus = new ReporterBus({ system: () => root?.system, targets: reporterTargets(config, { emitter }), logger });
    const workers = new Map<string, Worker>(config.workers.map((worker) => [worker.class, worker]));
    root = createActor(
      createSupervisor({
        id: 'kiq',
        now: () => config.clock.monoMs(),
        children: [
          reportersSpec(config, { logger, emitter }),
          {
            id: 'queue:work',
            systemId: 'queue:work',
            logic: queueLogic('work', { config, pool, workers, hooks: bus, held: new HeldJobs() }),
            input: { name: 'work', limit: 10, drainTimeout: 5_000, blockMs: 50, backoffMs: 50, maxBackoffMs: 500, restartDelay: 100 },
            configurable: true,
            shutdown: MAX_TIMER_MS,
          },
        ],
      }),
      { id: 'kiq' },
    );
    const rootErrors: unknown[] = [];
    root.subscribe({ error: (error) => rootErrors.push(error) });
    root.start();
    const live = root;
    cleanup.push(async () => {
      await new Promise<void>((resolve) => {
        live.subscribe({ complete: resolve, error: () => resolve() });
        live.send({ type: 'shutdown' });
      });
      bus.close();
    });
    const client = new Kiq({ redisUrl: redis.url, server: false, logger: silent() });
    await client.start();
    cleanup.push(() => client.stop());
    return { root, rootErrors, logger, emitter, client };
  }

  it('runs every job while one reporter throws on every event; the others get started, outcome, stopped per job', async () => {
    const good = recorder();
    const bad: Reporter = {
      started() {
        throw new Error('bad reporter');
      },
    };
    const { root, rootErrors, logger, emitter, client } = await server([bad, good]);
    const successes: string[] = [];
    emitter.on('job:success', ({ jid }) => successes.push(jid));
    const failures: string[] = [];
    const onFailure = (message: unknown) => void failures.push((message as { jid: string }).jid);
    diagnostics_channel.subscribe('kiq:job:failure', onFailure);
    cleanup.push(() => void diagnostics_channel.unsubscribe('kiq:job:failure', onFailure));

    const jobs = await Promise.all(Array.from({ length: 200 }, (_, i) => client.enqueue(Echo, [i])));
    const boom = await client.enqueue(Boom, []);
    await client.flush();
    await until(() => performed.length === 200 && good.events.length === 201 * 3, 10_000, 'all jobs and their events');

    expect(new Set(performed)).to.have.property('size', 200);
    expect(await redis.client.zcard('dead')).to.equal(1);
    for (const job of [...jobs, boom]) {
      const mine = summary(good.events.filter((event) => event.job.jid === job.jid));
      const outcome = job === boom ? 'failure' : 'success';
      expect(mine, job.jid).to.deep.equal([`started ${job.jid}`, `${outcome} ${job.jid}`, `stopped ${job.jid}`]);
    }
    expect(successes).to.have.length(200);
    expect(failures).to.deep.equal([boom.jid]);
    // the bad reporter crashed, was restarted (logged), then disabled; the tree never noticed
    const events = logger.lines.map((line) => JSON.parse(line).event as string);
    expect(events.filter((e) => e === 'reporter_crashed').length).to.be.within(1, 4);
    expect(rootErrors).to.deep.equal([]);
    expect(root.getSnapshot().context.restartCount).to.deep.equal({ reporters: 0, 'queue:work': 0 });
    expect(events.filter((e) => e === 'job_success')).to.have.length(200);
    expect(events.filter((e) => e === 'job_failure')).to.have.length(1);
  });
});
