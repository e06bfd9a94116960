import { expect } from 'chai';
import { createActor, fromPromise, SimulatedClock, type ActorRefFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { fetcherMachine, type BlockInput, type FetchInput } from '../../machines/fetcher.js';
import { queueMachine, type QueueEvent, type QueueInput } from '../../machines/queue.js';
import { queueView } from '../../machines/queue-view.js';
import { advance, fakeIO, settle } from '../support/fake-io.js';
import { fetcherIO } from '../../machines/fetcher-io.js';
import { failOnUncaught } from '../support/uncaught.js';
import type { RawJob } from '../../src/job/raw.js';

type Queue = ActorRefFrom<typeof queueMachine>;
type Fetcher = ActorRefFrom<typeof fetcherMachine>;

const defaults: QueueInput = {
  name: 'default',
  limit: 3,
  drainTimeout: 1000,
  blockMs: 2000,
  backoffMs: 100,
  maxBackoffMs: 1000,
  restartDelay: 50,
};

/**
 * A queue on the simulated clock with the real fetcher bound to fake `fetch` / `block`, a fake
 * `requeue`, and `startJobs` / `abortRunning` recorded in `log` (in call order with the IO).
 */
function start(input: Partial<QueueInput> = {}) {
  const clock = new SimulatedClock();
  const log: string[] = [];
  const fetch = fakeIO<FetchInput, readonly RawJob[]>(clock, 'fetch');
  const block = fakeIO<BlockInput, readonly RawJob[]>(clock, 'block');
  const requeue = fakeIO<{ queue: string }, number>(clock, 'requeue', log);
  const started: RawJob[] = [];
  let releases = 0;
  const logic = queueMachine.provide({
    actors: {
      fetcher: fetcherMachine.provide({ actors: { io: fetcherIO({ fetch: fetch.call, block: block.call }) } }),
      requeue: requeue.logic,
    },
    actions: {
      startJobs: (_, jobs) => {
        started.push(...jobs);
        log.push(`start ${jobs.join(',')}`);
      },
      abortRunning: () => log.push('abort'),
      releaseWaiting: () => void releases++,
    },
  });
  const queue = createActor(logic, { clock, input: { ...defaults, ...input } });
  const errors: unknown[] = [];
  queue.subscribe({ error: (err) => errors.push(err) });
  queue.start();
  const send = (event: QueueEvent) => queue.send(event);
  /** The live fetcher (throws when there is none). */
  const fetcher = (): Fetcher => {
    const ref = queue.getSnapshot().children.fetcher as Fetcher | undefined;
    if (!ref) throw new Error('no fetcher');
    return ref;
  };
  const hasFetcher = () => queue.getSnapshot().children.fetcher !== undefined;
  const finish = (n = 1) => {
    for (let i = 0; i < n; i++) send({ type: 'job.finished' });
  };
  return { queue, send, fetcher, hasFetcher, finish, clock, fetch, block, requeue, started, log, errors, releases: () => releases };
}

/** Makes the fetcher crash: an adapter answering garbage breaks the fetcher's own transition. */
const garbage = null as unknown as readonly string[];

const value = (queue: Queue) => queue.getSnapshot().value;
const status = (queue: Queue) => queue.getSnapshot().status;
const running = (queue: Queue) => queue.getSnapshot().context.running;

describe('Queue machine (machines/queue.ts)', () => {
  failOnUncaught();

  describe('slots', () => {
    it('starts up to limit jobs and counts them as running', async () => {
      const { queue, fetch, started, log } = start({ limit: 3 });
      expect(fetch.calls.map((c) => c.input)).to.deep.equal([{ queue: 'default', max: 3 }]);
      fetch.last().resolve(['a', 'b', 'c']);
      await settle();
      expect(started).to.deep.equal(['a', 'b', 'c']);
      expect(log, 'one startJobs call for one jobs event').to.deep.equal(['start a,b,c']);
      expect(running(queue)).to.equal(3);
      expect(queue.getSnapshot().context.started).to.equal(3);
      expect(value(queue)).to.deep.equal({ active: 'running' });
      expect(fetch.calls, 'all slots taken: no further fetch').to.have.length(1);
      queue.stop();
    });

    it('each job.finished frees exactly one slot (demand 1 to the fetcher)', async () => {
      const { queue, fetcher, finish, fetch, started } = start({ limit: 3 });
      fetch.last().resolve(['a', 'b', 'c']);
      await settle();
      expect(fetcher().getSnapshot().context.demand).to.equal(0);

      finish();
      expect(running(queue)).to.equal(2);
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([3, 1]);
      finish(); // while that fetch is in flight: one more slot, for the next fetch
      expect(running(queue)).to.equal(1);
      expect(fetcher().getSnapshot().context.demand).to.equal(2);
      fetch.last().resolve(['d']);
      await settle();
      expect(running(queue)).to.equal(2);
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([3, 1, 1]);
      fetch.last().resolve(['e']);
      await settle();
      expect(started).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(running(queue)).to.equal(3);
      expect(fetcher().getSnapshot().context.demand).to.equal(0);
      expect(fetch.calls).to.have.length(3);
      queue.stop();
    });

    it('a batched job.finished with a count frees that many slots in one fetch', async () => {
      const { queue, fetcher, fetch } = start({ limit: 4 });
      fetch.last().resolve(['a', 'b', 'c', 'd']);
      await settle();
      queue.send({ type: 'job.finished', count: 3 });
      expect(running(queue)).to.equal(1);
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([4, 3]);
      expect(fetcher().getSnapshot().context.demand).to.equal(3);
      queue.stop();
    });
  });

  describe('prefetch (pace)', () => {
    const context = (queue: Queue) => queue.getSnapshot().context;
    /** A queue of limit 2 whose first fetch filled both slots with a and b. */
    const filled = async (input: Partial<QueueInput> = {}) => {
      const queue = start({ limit: 2, ...input });
      queue.fetch.last().resolve(['a', 'b']);
      await settle();
      return queue;
    };

    it('starts slow: only limit jobs are asked for until src reports the jobs quick', async () => {
      const { queue, fetch } = start({ limit: 2, prefetch: 2 });
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2]);
      expect(context(queue).extra).to.equal(0);
      queue.stop();
    });

    it('quick: the extra slots are asked for with the next freed ones, in one fetch', async () => {
      const { queue, send, finish, fetch, started } = await filled({ prefetch: 2 });
      send({ type: 'pace', extra: 2 });
      expect(fetch.calls, 'no fetch of its own for the extra slots').to.have.length(1);
      expect(context(queue)).to.include({ extra: 2, withheld: -2 });
      send({ type: 'job.finished', count: 2 });
      expect(fetch.calls.map((c) => c.input.max), 'the freed slots and the extra ones').to.deep.equal([2, 4]);
      expect(context(queue).withheld).to.equal(0);
      fetch.last().resolve(['c', 'd', 'e', 'f']);
      await settle();
      expect(started, 'all delivered to src, which runs limit of them at once').to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
      expect(running(queue), 'the context counts the waiting ones').to.equal(4);
      expect(queueView(queue), 'the view tells them apart').to.include({ running: 2, waiting: 2, limit: 2 });
      finish();
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2, 4, 1]);
      queue.stop();
    });

    it('slow again: as many freed slots as were prefetched are withheld, then each frees one again', async () => {
      const { queue, send, finish, fetch } = await filled({ prefetch: 2 });
      send({ type: 'pace', extra: 2 });
      send({ type: 'job.finished', count: 2 });
      fetch.last().resolve(['c', 'd', 'e', 'f']);
      await settle();
      send({ type: 'pace', extra: 0 });
      expect(context(queue)).to.include({ extra: 0, withheld: 2 });
      finish();
      finish();
      expect(fetch.calls, 'two freed slots withheld: back to limit held').to.have.length(2);
      expect(running(queue)).to.equal(2);
      finish();
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2, 4, 1]);
      expect(context(queue).withheld).to.equal(0);
      queue.stop();
    });

    it('a pace with the extra the queue has changes nothing', async () => {
      const { queue, send, fetch } = await filled({ prefetch: 2 });
      send({ type: 'pace', extra: 0 });
      expect(context(queue)).to.include({ extra: 0, withheld: 0 });
      send({ type: 'pace', extra: 2 });
      send({ type: 'pace', extra: 2 });
      expect(context(queue)).to.include({ extra: 2, withheld: -2 });
      queue.stop();
    });

    it('a pace asks for at most prefetch; a smaller extra withholds only the difference', async () => {
      const { queue, send, finish, fetch } = await filled({ prefetch: 4 });
      send({ type: 'pace', extra: 100 });
      expect(context(queue)).to.include({ extra: 4, withheld: -4 });
      send({ type: 'pace', extra: 1 });
      expect(context(queue), 'three fewer: the next freed slots bring one more').to.include({ extra: 1, withheld: -1 });
      finish();
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2, 2]);
      queue.stop();
    });

    it('without prefetch, quick jobs change no demand', async () => {
      const { queue, send, finish, fetch } = await filled();
      send({ type: 'pace', extra: 2 });
      finish();
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2, 1]);
      queue.stop();
    });

    it('a restarted fetcher is asked for the capacity the pace gives, less what is held', async () => {
      const { queue, send, fetcher, clock, fetch } = await filled({ prefetch: 2 });
      send({ type: 'pace', extra: 2 });
      // the fetcher crashes with the extra slots not yet asked for
      fetcher().send({ type: 'demand', count: 1 });
      fetch.last().resolve(garbage);
      await settle();
      expect(value(queue)).to.equal('fetcherCrashed');
      await advance(clock, 50);
      expect(fetch.last().input.max, 'limit + prefetch - running').to.equal(2);
      expect(context(queue).withheld).to.equal(0);
      queue.stop();
    });
  });

  describe('configure', () => {
    it('configure {quiet} reaches the fetcher: nothing new is fetched, running jobs go on; quiet: false resumes', async () => {
      const { queue, send, fetcher, finish, clock, fetch, log } = start({ limit: 2 });
      fetch.last().resolve(['a', 'b']);
      await settle();
      send({ type: 'configure', quiet: true });
      expect(queue.getSnapshot().context.quiet).to.equal(true);
      expect(fetcher().getSnapshot().context.quiet).to.equal(true);
      finish();
      await advance(clock, 60_000);
      expect(fetch.calls, 'quiet: no fetch for the freed slot').to.have.length(1);
      expect(running(queue)).to.equal(1);
      expect(log).to.deep.equal(['start a,b']);
      send({ type: 'configure', quiet: false });
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2, 1]);
      queue.stop();
    });

    it('starts quiet when its input says so', async () => {
      const { queue, fetcher, clock, fetch } = start({ quiet: true });
      await advance(clock, 60_000);
      expect(fetcher().getSnapshot().value).to.equal('quiet');
      expect(fetch.calls).to.have.length(0);
      queue.stop();
    });

    it('a fetcher crash restarts it after restartDelay with demand = limit − running, still quiet, running jobs untouched', async () => {
      const { queue, send, fetcher, hasFetcher, finish, clock, fetch, log, errors } = start({ limit: 5, restartDelay: 50 });
      fetch.last().resolve(['a', 'b', 'c']);
      await settle();
      const first = fetcher();
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([5, 2]);
      send({ type: 'configure', quiet: true });

      fetch.last().resolve(garbage); // the fetcher crashes
      await settle();
      expect(first.getSnapshot().status).to.equal('error');
      expect(value(queue)).to.equal('fetcherCrashed');
      expect(hasFetcher()).to.equal(false);
      expect(queue.getSnapshot().context.fetcherRestarts).to.equal(1);
      expect(running(queue), 'running jobs are untouched').to.equal(3);
      finish(); // a job finishing meanwhile still frees its slot
      expect(running(queue)).to.equal(2);

      await advance(clock, 49);
      expect(hasFetcher(), 'not before restartDelay').to.equal(false);
      await advance(clock, 1);
      expect(value(queue)).to.deep.equal({ active: 'running' });
      const second = fetcher();
      expect(second).to.not.equal(first);
      expect(second.getSnapshot().context).to.include({ quiet: true, demand: 3 });
      expect(second.getSnapshot().value).to.equal('quiet');
      expect(fetch.calls, 'quiet survived the restart').to.have.length(2);

      send({ type: 'configure', quiet: false });
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([5, 2, 3]);
      expect(log, 'no abort, no requeue').to.deep.equal(['start a,b,c']);
      expect(errors).to.deep.equal([]);
      expect(status(queue)).to.equal('active');
      queue.stop();
    });

    it('a configure while the fetcher is down is kept for the restarted fetcher (the queue does not crash)', async () => {
      const { queue, send, fetcher, clock, fetch, errors } = start({ limit: 2, restartDelay: 50 });
      fetch.last().resolve(garbage);
      await settle();
      expect(value(queue)).to.equal('fetcherCrashed');
      send({ type: 'configure', quiet: true, drainTimeout: 300 });
      expect(status(queue)).to.equal('active');
      expect(errors).to.deep.equal([]);
      expect(queue.getSnapshot().context).to.include({ quiet: true, drainTimeout: 300 });
      await advance(clock, 50);
      expect(fetcher().getSnapshot().value).to.equal('quiet');
      expect(fetch.calls).to.have.length(1);
      queue.stop();
    });
  });

  describe('shutdown', () => {
    it('stops the fetcher first; jobs it still delivers are NOT started; waits for running jobs, then requeues once, then done', async () => {
      const { queue, send, fetcher, finish, clock, fetch, block, requeue, started, log, releases } = start({ limit: 3 });
      fetch.last().resolve(['a']);
      await settle();
      fetch.last().resolve([]); // queue empty: the fetcher blocks for the other 2 slots
      await settle();
      const f = fetcher();
      expect(f.getSnapshot().value).to.equal('blocking');

      send({ type: 'shutdown' });
      expect(value(queue)).to.deep.equal({ active: 'stoppingFetcher' });
      expect(f.getSnapshot().context.stopping, 'the fetcher is told first').to.equal(true);
      expect(requeue.calls).to.have.length(0);

      block.last().resolve(['late']); // lands in the private list: requeued, not run
      await settle();
      expect(f.getSnapshot().status).to.equal('done');
      expect(started).to.deep.equal(['a']);
      expect(running(queue)).to.equal(1);
      expect(value(queue)).to.equal('draining');

      await advance(clock, 999);
      expect(value(queue), 'still waiting for the running job').to.equal('draining');
      finish();
      expect(value(queue)).to.equal('requeuing');
      expect(requeue.calls.map((c) => c.input)).to.deep.equal([{ queue: 'default' }]);
      requeue.last().resolve(1);
      await settle();
      expect(status(queue)).to.equal('done');
      expect(log).to.deep.equal(['start a', 'requeue {"queue":"default"}']);
      expect(releases(), 'src is told once that waiting jobs do not start').to.equal(1);
      await advance(clock, 10_000);
      expect(log, 'the drain timer was cancelled: no abort').to.deep.equal(['start a', 'requeue {"queue":"default"}']);
      expect(fetch.calls).to.have.length(2);
    });

    it('with nothing running goes from the stopped fetcher straight to requeuing (no drain wait)', async () => {
      const { queue, send, clock, fetch, requeue, started, log } = start({ limit: 3 });
      send({ type: 'shutdown' }); // the first fetch is still in flight
      expect(value(queue)).to.deep.equal({ active: 'stoppingFetcher' });
      expect(requeue.calls, 'not before the fetcher has stopped').to.have.length(0);
      fetch.last().resolve(['x', 'y']);
      await settle();
      expect(started, 'delivered after shutdown: left for requeue').to.deep.equal([]);
      expect(value(queue)).to.equal('requeuing');
      expect(log).to.deep.equal(['requeue {"queue":"default"}']);
      requeue.last().resolve(2);
      await settle();
      expect(status(queue)).to.equal('done');
      await advance(clock, 10_000);
      expect(log).to.deep.equal(['requeue {"queue":"default"}']);
    });

    it('when running jobs do not finish within drainTimeout: abortRunning exactly once, then requeue, then done', async () => {
      const { queue, send, finish, clock, fetch, requeue, log } = start({ limit: 2, drainTimeout: 1000 });
      fetch.last().resolve(['a', 'b']);
      await settle();
      send({ type: 'shutdown' }); // the fetcher is idle: it stops at once
      expect(value(queue)).to.equal('draining');

      await advance(clock, 999);
      expect(log).to.deep.equal(['start a,b']);
      await advance(clock, 1);
      expect(log).to.deep.equal(['start a,b', 'abort', 'requeue {"queue":"default"}']);
      expect(value(queue)).to.equal('requeuing');
      expect(queue.getSnapshot().context.timedOut).to.equal(true);
      finish(); // an aborted job settling now changes nothing
      requeue.last().resolve(0);
      await settle();
      expect(status(queue)).to.equal('done');
      await advance(clock, 10_000);
      expect(log.filter((l) => l === 'abort')).to.have.length(1);
      expect(requeue.calls).to.have.length(1);
    });

    it('a configure { drainTimeout } before shutdown changes the wait', async () => {
      const { queue, send, clock, fetch, log } = start({ limit: 1, drainTimeout: 1000 });
      fetch.last().resolve(['a']);
      await settle();
      send({ type: 'configure', drainTimeout: 300 });
      expect(queue.getSnapshot().context.quiet, 'drainTimeout alone leaves quiet alone').to.equal(false);
      send({ type: 'shutdown' });
      await advance(clock, 299);
      expect(log).to.deep.equal(['start a']);
      await advance(clock, 1);
      expect(log).to.deep.equal(['start a', 'abort', 'requeue {"queue":"default"}']);
      queue.stop();
    });

    it('requeue rejecting still ends in done (orphan recovery brings the private list back)', async () => {
      const { queue, send, fetch, requeue, errors } = start();
      send({ type: 'shutdown' });
      fetch.last().resolve([]);
      await settle();
      expect(value(queue)).to.equal('requeuing');
      requeue.last().reject(new Error('ECONNREFUSED'));
      await settle();
      expect(status(queue)).to.equal('done');
      expect(errors).to.deep.equal([]);
    });

    it('a fetcher crash while it stops does not restart it: the queue drains and requeues', async () => {
      const { queue, send, hasFetcher, finish, clock, fetch, requeue, log, errors } = start({ limit: 3, restartDelay: 50 });
      fetch.last().resolve(['a']);
      await settle();
      send({ type: 'shutdown' }); // the second fetch is in flight
      fetch.last().resolve(garbage);
      await settle();
      await advance(clock, 50);
      expect(hasFetcher(), 'no fetcher restarted after shutdown').to.equal(false);
      expect(value(queue)).to.equal('draining');
      finish();
      requeue.last().resolve(0);
      await settle();
      expect(status(queue)).to.equal('done');
      expect(log).to.deep.equal(['start a', 'requeue {"queue":"default"}']);
      expect(fetch.calls).to.have.length(2);
      expect(errors).to.deep.equal([]);
    });

    it('a shutdown while the fetcher is down drains at once, with no restart', async () => {
      const { queue, send, hasFetcher, clock, fetch, requeue } = start({ restartDelay: 50 });
      fetch.last().resolve(garbage);
      await settle();
      send({ type: 'shutdown' });
      expect(value(queue)).to.equal('requeuing');
      requeue.last().resolve(0);
      await settle();
      await advance(clock, 50);
      expect(status(queue)).to.equal('done');
      expect(hasFetcher()).to.equal(false);
      expect(fetch.calls).to.have.length(1);
    });

    it('a configure while draining is kept and does not crash the queue', async () => {
      const { queue, send, finish, fetch, requeue, errors } = start({ limit: 1 });
      fetch.last().resolve(['a']);
      await settle();
      send({ type: 'shutdown' });
      expect(value(queue)).to.equal('draining');
      send({ type: 'configure', quiet: true });
      expect(status(queue)).to.equal('active');
      expect(errors).to.deep.equal([]);
      finish();
      requeue.last().resolve(0);
      await settle();
      expect(status(queue)).to.equal('done');
    });
  });
  describe('model (xstate/graph)', () => {
    // Every event a running queue can receive, offered where it can really arrive: jobs only while
    // a slot is free, job.finished only while a job runs, the fetcher's done only after it was
    // told to stop, child outcomes only while that child exists, timers only in their state.
    type Snapshot = ReturnType<typeof queueMachine.getInitialSnapshot>;
    const input: QueueInput = { ...defaults, limit: 2 };
    const events = (s: Snapshot): QueueEvent[] => {
      if (s.status !== 'active') return [];
      const { running, limit } = s.context;
      const children = s.children as Record<string, unknown>;
      const internal = (type: string, extra: object = {}) => ({ type, ...extra }) as unknown as QueueEvent;
      return [
        { type: 'shutdown' },
        { type: 'configure', quiet: true },
        { type: 'configure', drainTimeout: 10 },
        ...(running < limit ? [{ type: 'jobs', jobs: ['j'] } as const] : []),
        ...(running > 0 ? [{ type: 'job.finished' } as const] : []),
        ...('fetcher' in children ? [internal('xstate.error.actor.fetcher', { error: new Error('fetcher bug'), actorId: 'fetcher' })] : []),
        ...('fetcher' in children && s.matches({ active: 'stoppingFetcher' })
          ? [internal('xstate.done.actor.fetcher', { output: undefined, actorId: 'fetcher' })]
          : []),
        ...('requeue' in children
          ? [
              internal('xstate.done.actor.requeue', { output: 0, actorId: 'requeue' }),
              internal('xstate.error.actor.requeue', { error: new Error('ECONNREFUSED'), actorId: 'requeue' }),
            ]
          : []),
        ...(s.matches('fetcherCrashed') ? [internal('xstate.after.restartDelay.queue.fetcherCrashed')] : []),
        ...(s.matches('draining') ? [internal('xstate.after.drainTimeout.queue.draining')] : []),
      ];
    };
    const serializeState = (s: Snapshot) => {
      const { running, quiet, timedOut, drainTimeout } = s.context;
      return JSON.stringify([s.value, s.status, running, quiet, timedOut, drainTimeout, Object.keys(s.children).sort()]);
    };
    let states: Snapshot[] = [];
    let traversalError: unknown;
    before(() => {
      try {
        states = getShortestPaths(queueMachine, { input, events, serializeState }).map((path) => path.state);
      } catch (err) {
        traversalError = err; // a throwing builtin action (e.g. sendTo a missing child) aborts the traversal
      }
    });

    it('handles every event in every reachable state: the queue never ends in status error', () => {
      expect(traversalError).to.equal(undefined);
      expect(states.length).to.be.greaterThan(20);
      const broken = states.filter((s) => s.status === 'error').map((s) => `${JSON.stringify(s.value)}: ${String(s.error)}`);
      expect(broken).to.deep.equal([]);
      expect(states.some((s) => s.status === 'done')).to.equal(true);
    });

    it('has a fetcher exactly while active, never more running jobs than limit', () => {
      for (const s of states.filter((x) => x.status === 'active')) {
        expect('fetcher' in s.children, JSON.stringify(s.value)).to.equal(s.matches('active'));
        expect(s.context.running).to.be.within(0, input.limit);
      }
    });

    it('every path to done passes through stoppingFetcher or fetcherCrashed, then requeuing, and never runs again after shutdown', () => {
      const paths = getSimplePaths(queueMachine, {
        input,
        events,
        // a coarser abstraction keeps the number of simple paths small
        serializeState: (s) => JSON.stringify([s.value, s.status, s.context.running, s.context.quiet, s.context.timedOut]),
        toState: (s) => s.status === 'done',
      });
      expect(paths.length).to.be.greaterThan(10);
      for (const path of paths) {
        const seen = path.steps.map((step) => step.state);
        const at = (pred: (s: Snapshot) => boolean) => seen.findIndex(pred);
        const stopping = at((s) => s.matches({ active: 'stoppingFetcher' }) || s.matches('fetcherCrashed'));
        const draining = at((s) => s.matches('draining'));
        const requeuing = at((s) => s.matches('requeuing'));
        const done = at((s) => s.status === 'done');
        const trace = path.steps.map((step) => step.event.type).join(' → ');
        expect(requeuing, trace).to.be.greaterThan(-1);
        expect(done, trace).to.equal(seen.length - 1);
        // once requeuing, nothing but the requeue call's end leaves it (late job.finished may arrive)
        for (const s of seen.slice(requeuing, done)) expect(s.matches('requeuing'), trace).to.equal(true);
        // draining may be passed through within one macrostep (nothing running): then it is not a step
        if (draining > -1) expect(draining, trace).to.be.lessThan(requeuing);
        expect(stopping, trace).to.be.greaterThan(-1);
        expect(stopping, trace).to.be.lessThan(requeuing);
        // a shutdown is final: the queue never goes back to running jobs after it
        const shutdown = path.steps.findIndex((step) => step.event.type === 'shutdown');
        for (const s of seen.slice(shutdown)) expect(s.matches({ active: 'running' }), trace).to.equal(false);
      }
    });
  });
});
