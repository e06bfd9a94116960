import { expect } from 'chai';
import { createActor, setup, SimulatedClock, type ActorRefFrom, type InspectionEvent } from 'xstate';
import {
  fetcherMachine,
  type BlockInput,
  FOLLOW_MS,
  type FetcherEvent,
  type FetcherInput,
  type FetchInput,
  type JobsEvent,
} from '../../machines/fetcher.js';
import { advance, fakeIO, settle } from '../support/fake-io.js';
import { fetcherIO } from '../../machines/fetcher-io.js';
import { failOnUncaught } from '../support/uncaught.js';
import type { RawJob } from '../../src/job/raw.js';

type Fetcher = ActorRefFrom<typeof fetcherMachine>;

/**
 * The fetcher uses `sendParent`, so it runs as the invoked child of a tiny parent that records
 * every `jobs` event (a copy of its job list) and how the child ended.
 */
function start(input: Partial<FetcherInput> = {}, inspect?: (event: InspectionEvent) => void) {
  const clock = new SimulatedClock();
  const fetch = fakeIO<FetchInput, readonly RawJob[]>(clock, 'fetch');
  const block = fakeIO<BlockInput, readonly RawJob[]>(clock, 'block');
  const delivered: RawJob[][] = [];
  /** The fetcher's state when each `jobs` event reached the parent. */
  const deliveredIn: string[] = [];
  let child: Fetcher | undefined;
  const ended: string[] = [];
  /** How often the machine asked its IO to end the block in flight. */
  const interrupts = { count: 0 };
  const parent = setup({
    types: { events: {} as JobsEvent },
    actors: {
      fetcher: fetcherMachine.provide({
        actors: { io: fetcherIO({ fetch: fetch.call, block: block.call }) },
        actions: { interruptBlock: () => void interrupts.count++ },
      }),
    },
  }).createMachine({
    invoke: {
      id: 'fetcher',
      src: 'fetcher',
      input: { queue: 'default', demand: 0, blockMs: 2000, backoffMs: 100, maxBackoffMs: 1000, ...input },
      onDone: { actions: () => ended.push('done') },
      onError: { actions: ({ event }) => ended.push(`error: ${String(event.error)}`) },
    },
    on: {
      jobs: {
        actions: ({ event }) => {
          delivered.push([...event.jobs]);
          deliveredIn.push(JSON.stringify(child?.getSnapshot().value));
        },
      },
    },
  });
  const root = createActor(parent, { clock, ...(inspect ? { inspect } : {}) });
  const errors: unknown[] = [];
  root.subscribe({ error: (err) => errors.push(err) });
  root.start();
  const fetcher = root.getSnapshot().children.fetcher as Fetcher;
  child = fetcher;
  const send = (event: FetcherEvent) => fetcher.send(event);
  return { root, fetcher, send, clock, fetch, block, delivered, deliveredIn, ended, errors, interrupts };
}

/** A block call that took `jobs`. */
const took = (...jobs: RawJob[]): readonly RawJob[] => jobs;
/** A block call that timed out (or was interrupted). */
const TIMED_OUT: readonly RawJob[] = [];

const value = (fetcher: Fetcher) => fetcher.getSnapshot().value;
const status = (fetcher: Fetcher) => fetcher.getSnapshot().status;

describe('Fetcher machine (machines/fetcher.ts)', () => {
  failOnUncaught();

  describe('fetching and delivery', () => {
    it('a round of full batches takes one step per event: io.fetched goes straight to idle and demand straight to fetching (no transient deciding step)', async () => {
      const steps: string[] = [];
      const { root, fetcher, fetch, send, delivered } = start({ demand: 2 }, (event) => {
        if (event.type === '@xstate.microstep' && (event.actorRef as { id?: string }).id === 'fetcher') steps.push(JSON.stringify((event.snapshot as { value?: unknown }).value));
      });
      steps.length = 0;
      fetch.last().resolve(['j1', 'j2']);
      await settle();
      expect(steps, 'one microstep for a batch that fills every slot').to.deep.equal(['"idle"']);
      steps.length = 0;
      send({ type: 'demand', count: 2 });
      expect(steps, 'one microstep for demand in idle').to.deep.equal(['"fetching"']);
      expect(fetch.calls.map((c) => c.input)).to.deep.equal([{ queue: 'default', max: 2 }, { queue: 'default', max: 2 }]);
      steps.length = 0;
      fetch.last().resolve(['j3']);
      await settle();
      expect(value(fetcher), 'a partial batch fetches again for the slot left').to.equal('fetching');
      expect(delivered).to.deep.equal([['j1', 'j2'], ['j3']]);
      root.stop();
    });

    it('fetches up to the initial demand in one call and delivers the jobs in order as ONE jobs event', async () => {
      const { root, fetcher, fetch, block, delivered } = start({ demand: 3 });
      expect(fetch.calls.map((c) => c.input)).to.deep.equal([{ queue: 'default', max: 3 }]);
      fetch.last().resolve(['j1', 'j2', 'j3']);
      await settle();
      expect(delivered).to.deep.equal([['j1', 'j2', 'j3']]);
      expect(fetch.calls, 'demand is used up: no further call').to.have.length(1);
      expect(block.calls).to.have.length(0);
      expect(value(fetcher)).to.equal('idle');
      expect(fetcher.getSnapshot().context).to.include({ demand: 0, fetched: 3 });
      root.stop();
    });

    it('the jobs of a fetch and of a block reach the queue before the fetcher\'s own step on the reply', async () => {
      const { root, fetcher, fetch, block, delivered, deliveredIn } = start({ demand: 3 });
      fetch.last().resolve(['j1']);
      await settle();
      fetch.last().resolve([]);
      await settle();
      expect(value(fetcher)).to.equal('blocking');
      block.last().resolve(took('j2'));
      await settle();
      expect(delivered).to.deep.equal([['j1'], ['j2']]);
      expect(deliveredIn, 'the fetcher was still waiting on its call').to.deep.equal(['"fetching"', '"blocking"']);
      expect(value(fetcher)).to.equal('following');
      root.stop();
    });

    it('fetches again at once for the rest of the demand when a call brought fewer jobs', async () => {
      const { root, fetch, delivered } = start({ demand: 5 });
      fetch.last().resolve(['j1', 'j2']);
      await settle();
      expect(delivered).to.deep.equal([['j1', 'j2']]);
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([5, 3]);
      root.stop();
    });

    it('after an empty fetch goes to blocking; a job from block is delivered at once, then, FOLLOW_MS later at most, fetching resumes with the remaining demand', async () => {
      const { root, fetcher, clock, fetch, block, delivered } = start({ demand: 3, blockMs: 2000 });
      fetch.last().resolve([]);
      await settle();
      expect(value(fetcher)).to.equal('blocking');
      expect(block.calls.map((c) => c.input)).to.deep.equal([{ queue: 'default', timeoutMs: 2000 }]);
      expect(delivered).to.deep.equal([]);
      block.last().resolve(took('j1'));
      await settle();
      expect(delivered).to.deep.equal([['j1']]);
      expect(value(fetcher), 'waiting for the job to end').to.equal('following');
      await advance(clock, FOLLOW_MS - 1);
      expect(fetch.calls).to.have.length(1);
      await advance(clock, 1);
      expect(fetch.calls.map((c) => c.input)).to.deep.equal([
        { queue: 'default', max: 3 },
        { queue: 'default', max: 2 },
      ]);
      expect(value(fetcher)).to.equal('fetching');
      root.stop();
    });

    it('a job from block goes to the queue, and the fetch for the burst behind it starts when the job ends (its demand), one microstep each (no transient deciding step)', async () => {
      const steps: string[] = [];
      const order: string[] = [];
      const { root, fetcher, send, fetch, block, delivered } = start({ demand: 3, blockMs: 2000 }, (event) => {
        if (event.type === '@xstate.microstep' && (event.actorRef as { id?: string }).id === 'fetcher') steps.push(JSON.stringify((event.snapshot as { value?: unknown }).value));
      });
      fetch.last().resolve([]);
      await settle();
      const calls = fetch.calls.length;
      const push = fetch.calls.push.bind(fetch.calls);
      fetch.calls.push = (...items) => {
        order.push(`fetch after ${delivered.length} deliveries`);
        return push(...items);
      };
      steps.length = 0;
      block.last().resolve(took('j1'));
      await settle();
      expect(steps, 'one microstep: blocking → following').to.deep.equal(['"following"']);
      expect(fetch.calls.length, 'no fetch while the job runs (under FOLLOW_MS)').to.equal(calls);
      steps.length = 0;
      send({ type: 'demand', count: 1 }); // the job ended: its slot is free
      expect(steps, 'one microstep: following → fetching').to.deep.equal(['"fetching"']);
      expect(order, 'the job is delivered first').to.deep.equal(['fetch after 1 deliveries']);
      expect(fetch.calls.slice(calls).map((c) => c.input), 'its freed slot too').to.deep.equal([{ queue: 'default', max: 3 }]);
      expect(value(fetcher)).to.equal('fetching');
      root.stop();
    });

    it('a job from block that fills the last slot goes straight to idle; one that ends while quiet goes quiet, without a fetch', async () => {
      const steps: string[] = [];
      const used = start({ demand: 1 }, (event) => {
        if (event.type === '@xstate.microstep' && (event.actorRef as { id?: string }).id === 'fetcher') steps.push(JSON.stringify((event.snapshot as { value?: unknown }).value));
      });
      used.fetch.last().resolve([]);
      await settle();
      steps.length = 0;
      used.block.last().resolve(took('a'));
      await settle();
      expect(value(used.fetcher)).to.equal('idle');
      expect(steps, 'one microstep: blocking → idle').to.deep.equal(['"idle"']);
      expect(used.fetch.calls).to.have.length(1);
      used.root.stop();

      const quiet = start({ demand: 3 });
      quiet.fetch.last().resolve([]);
      await settle();
      quiet.send({ type: 'configure', quiet: true });
      quiet.block.last().resolve(took('a'));
      await settle();
      expect(quiet.delivered).to.deep.equal([['a']]);
      expect(value(quiet.fetcher)).to.equal('quiet');
      expect(quiet.fetch.calls).to.have.length(1);
      expect(quiet.block.calls).to.have.length(1);
      quiet.root.stop();
    });

    it('following: a shutdown ends it at once and a quiet turns it quiet, neither with a fetch, also after FOLLOW_MS', async () => {
      for (const [event, state] of [
        [{ type: 'shutdown' }, 'done'],
        [{ type: 'configure', quiet: true }, 'quiet'],
      ] as const) {
        const { root, fetcher, clock, send, fetch, block } = start({ demand: 3 });
        fetch.last().resolve([]);
        await settle();
        block.last().resolve(took('a'));
        await settle();
        expect(value(fetcher)).to.equal('following');
        send(event);
        await advance(clock, 10 * FOLLOW_MS);
        expect(value(fetcher), JSON.stringify(event)).to.equal(state);
        expect(fetch.calls, JSON.stringify(event)).to.have.length(1);
        expect(block.calls, JSON.stringify(event)).to.have.length(1);
        root.stop();
      }
    });

    it('re-fetches with the same demand when block times out (null), delivering nothing', async () => {
      const { root, fetcher, fetch, block, delivered } = start({ demand: 2 });
      fetch.last().resolve([]);
      await settle();
      block.last().resolve(TIMED_OUT);
      await settle();
      expect(delivered).to.deep.equal([]);
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2, 2]);
      expect(block.calls).to.have.length(1);
      expect(value(fetcher)).to.equal('fetching');
      root.stop();
    });

    it('with no demand is idle and makes no calls, however long it waits', async () => {
      const { root, fetcher, clock, fetch, block } = start({ demand: 0 });
      await advance(clock, 3_600_000);
      expect(value(fetcher)).to.equal('idle');
      expect(fetch.calls).to.have.length(0);
      expect(block.calls).to.have.length(0);
      root.stop();
    });

    it('leaves idle and fetches as soon as demand arrives', async () => {
      const { root, send, fetch } = start({ demand: 0 });
      send({ type: 'demand', count: 2 });
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([2]);
      root.stop();
    });

    it('adds demand events that arrive while a fetch is in flight and uses them in the next fetch (one call at a time)', async () => {
      const { root, fetcher, send, fetch, delivered } = start({ demand: 1 });
      send({ type: 'demand', count: 1 });
      send({ type: 'demand', count: 1 });
      send({ type: 'demand', count: 2 });
      expect(fetch.calls, 'no second call while one is in flight').to.have.length(1);
      expect(fetcher.getSnapshot().context.demand).to.equal(5);
      fetch.last().resolve(['j1']);
      await settle();
      expect(delivered).to.deep.equal([['j1']]);
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([1, 4]);
      root.stop();
    });

    it('adds demand that arrives while blocking to the fetch after the block', async () => {
      const { root, clock, send, fetch, block, delivered } = start({ demand: 1 });
      fetch.last().resolve([]);
      await settle();
      send({ type: 'demand', count: 3 });
      expect(block.calls).to.have.length(1);
      block.last().resolve(took('j1'));
      await settle();
      expect(delivered).to.deep.equal([['j1']]);
      await advance(clock, FOLLOW_MS);
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([1, 3]);
      root.stop();
    });
  });

  describe('quiet', () => {
    it('starts no call when it starts quiet, and fetches the demand on resume', async () => {
      const { root, fetcher, send, clock, fetch } = start({ demand: 3, quiet: true });
      await advance(clock, 60_000);
      expect(value(fetcher)).to.equal('quiet');
      expect(fetch.calls).to.have.length(0);
      send({ type: 'configure', quiet: false });
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([3]);
      root.stop();
    });

    it('delivers the jobs of a call in flight when quieted, then starts no new call until resumed', async () => {
      const { root, fetcher, send, clock, fetch, delivered } = start({ demand: 4 });
      send({ type: 'configure', quiet: true });
      fetch.last().resolve(['j1']);
      await settle();
      expect(delivered, 'in-flight jobs are already in the private list').to.deep.equal([['j1']]);
      expect(value(fetcher)).to.equal('quiet');
      send({ type: 'demand', count: 2 });
      await advance(clock, 60_000);
      expect(fetch.calls, 'no new call while quiet').to.have.length(1);
      send({ type: 'configure' }); // no quiet key: stays quiet
      expect(value(fetcher)).to.equal('quiet');
      send({ type: 'configure', quiet: false });
      expect(fetch.calls.map((c) => c.input.max)).to.deep.equal([4, 5]);
      root.stop();
    });

    it('does not block after an empty fetch that ends while quiet', async () => {
      const { root, fetcher, send, fetch, block } = start({ demand: 2 });
      send({ type: 'configure', quiet: true });
      fetch.last().resolve([]);
      await settle();
      expect(value(fetcher)).to.equal('quiet');
      expect(block.calls).to.have.length(0);
      root.stop();
    });

    it('delivers a job from a block in flight when quieted, then stays quiet', async () => {
      const { root, fetcher, send, fetch, block, delivered } = start({ demand: 2 });
      fetch.last().resolve([]);
      await settle();
      send({ type: 'configure', quiet: true });
      block.last().resolve(took('j1'));
      await settle();
      expect(delivered).to.deep.equal([['j1']]);
      expect(value(fetcher)).to.equal('quiet');
      expect(fetch.calls).to.have.length(1);
      root.stop();
    });
  });

  describe('Redis errors', () => {
    it('backs off ×2 from backoffMs up to maxBackoffMs, and resets after a success', async () => {
      const { root, fetcher, clock, fetch, delivered, errors } = start({ demand: 10, backoffMs: 100, maxBackoffMs: 1000 });
      const waits: number[] = [];
      for (let i = 0; i < 6; i++) {
        fetch.last().reject(new Error('ECONNREFUSED'));
        await settle();
        expect(value(fetcher)).to.equal('backingOff');
        const wait = fetcher.getSnapshot().context.backoff;
        waits.push(wait);
        const calls = fetch.calls.length;
        const failedAt = clock.now();
        await advance(clock, wait - 1);
        expect(fetch.calls.length, `no call before the ${wait} ms backoff`).to.equal(calls);
        await advance(clock, 1);
        expect(fetch.calls.length, `one call at the ${wait} ms backoff`).to.equal(calls + 1);
        expect(fetch.last().at).to.equal(failedAt + wait);
      }
      expect(waits).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
      expect(fetcher.getSnapshot().context.failures).to.equal(6);

      fetch.last().resolve(['j1']); // success: the backoff resets
      await settle();
      expect(delivered).to.deep.equal([['j1']]);
      expect(fetcher.getSnapshot().context).to.include({ failures: 0, demand: 9 });
      fetch.last().reject(new Error('ECONNRESET'));
      await settle();
      const failedAt = clock.now();
      await advance(clock, 99);
      expect(fetch.calls).to.have.length(8);
      await advance(clock, 1);
      expect(fetch.calls).to.have.length(9);
      expect(fetch.last().at).to.equal(failedAt + 100);
      expect(errors).to.deep.equal([]);
      expect(status(fetcher)).to.equal('active');
      root.stop();
    });

    it('ends its backoff at once when Redis is back (redis.ready)', async () => {
      const { root, fetcher, clock, fetch } = start({ demand: 1, backoffMs: 100, maxBackoffMs: 1000 });
      fetch.last().reject(new Error('ECONNREFUSED'));
      await settle();
      expect(value(fetcher)).to.equal('backingOff');
      fetcher.send({ type: 'redis.ready' });
      await settle();
      expect(fetch.calls.map((c) => c.at), 'the retry did not wait for the backoff').to.deep.equal([0, 0]);
      expect(clock.now()).to.equal(0);
      root.stop();
    });

    it('backs off on a block error too, then fetches again', async () => {
      const { root, fetcher, clock, fetch, block } = start({ demand: 1, backoffMs: 100 });
      fetch.last().resolve([]);
      await settle();
      block.last().reject(new Error('ECONNRESET'));
      await settle();
      expect(value(fetcher)).to.equal('backingOff');
      await advance(clock, 99);
      expect(fetch.calls).to.have.length(1);
      await advance(clock, 1);
      expect(fetch.calls.map((c) => c.at)).to.deep.equal([0, 100]);
      root.stop();
    });

    it('after backing off, waits quietly instead of fetching when it was quieted meanwhile', async () => {
      const { root, fetcher, send, clock, fetch } = start({ demand: 1, backoffMs: 100 });
      fetch.last().reject(new Error('ECONNRESET'));
      await settle();
      send({ type: 'configure', quiet: true });
      await advance(clock, 100);
      expect(value(fetcher)).to.equal('quiet');
      expect(fetch.calls).to.have.length(1);
      root.stop();
    });
  });

  describe('shutdown', () => {
    it('while blocking waits for the block call to end before done (the stranded-job rule), and still delivers its job', async () => {
      const { root, fetcher, send, clock, fetch, block, delivered, ended } = start({ demand: 2 });
      fetch.last().resolve([]);
      await settle();
      send({ type: 'shutdown' });
      await advance(clock, 60_000);
      expect(status(fetcher), 'the BLMOVE is still in flight').to.equal('active');
      expect(value(fetcher)).to.equal('blocking');
      expect(block.last().signal.aborted).to.equal(false);
      block.last().resolve(took('j1'));
      await settle();
      expect(delivered).to.deep.equal([['j1']]);
      expect(status(fetcher)).to.equal('done');
      expect(ended).to.deep.equal(['done']);
      expect(fetch.calls, 'no fetch after shutdown').to.have.length(1);
    });

    it('while blocking asks the IO to end the block now (interruptBlock), then ends done when it returns', async () => {
      const { fetcher, send, fetch, block, interrupts } = start({ demand: 2 });
      fetch.last().resolve([]);
      await settle();
      expect(interrupts.count, 'not before the shutdown').to.equal(0);
      send({ type: 'shutdown' });
      expect(interrupts.count).to.equal(1);
      send({ type: 'shutdown' });
      expect(value(fetcher), 'still waiting for the block call itself').to.equal('blocking');
      block.last().resolve(TIMED_OUT);
      await settle();
      expect(status(fetcher)).to.equal('done');
      expect(fetch.calls).to.have.length(1);
    });

    it('while fetching does not interrupt anything (a batch fetch is one short script call)', async () => {
      const { fetcher, send, fetch, interrupts } = start({ demand: 5 });
      send({ type: 'shutdown' });
      fetch.last().resolve([]);
      await settle();
      expect(status(fetcher)).to.equal('done');
      expect(interrupts.count).to.equal(0);
    });

    it('while blocking ends done when the block times out', async () => {
      const { fetcher, send, fetch, block, delivered } = start({ demand: 2 });
      fetch.last().resolve([]);
      await settle();
      send({ type: 'shutdown' });
      block.last().resolve(TIMED_OUT);
      await settle();
      expect(status(fetcher)).to.equal('done');
      expect(delivered).to.deep.equal([]);
      expect(fetch.calls).to.have.length(1);
    });

    it('while fetching waits for the fetch, delivers its jobs, then done without a further call', async () => {
      const { fetcher, send, fetch, block, delivered } = start({ demand: 5 });
      send({ type: 'shutdown' });
      expect(status(fetcher)).to.equal('active');
      fetch.last().resolve(['j1', 'j2']);
      await settle();
      expect(delivered).to.deep.equal([['j1', 'j2']]);
      expect(status(fetcher)).to.equal('done');
      expect(fetch.calls).to.have.length(1);
      expect(block.calls).to.have.length(0);
    });

    it('while fetching, an empty fetch ends done (no block starts)', async () => {
      const { fetcher, send, fetch, block } = start({ demand: 5 });
      send({ type: 'shutdown' });
      fetch.last().resolve([]);
      await settle();
      expect(status(fetcher)).to.equal('done');
      expect(block.calls).to.have.length(0);
    });

    it('while a call is in flight that then fails ends done at once, without backing off', async () => {
      const { fetcher, send, clock, fetch, block } = start({ demand: 5, backoffMs: 100 });
      send({ type: 'shutdown' });
      fetch.last().reject(new Error('ECONNRESET'));
      await settle();
      expect(status(fetcher)).to.equal('done');
      await advance(clock, 1000);
      expect(fetch.calls).to.have.length(1);
      expect(block.calls).to.have.length(0);
    });

    it('while a block is in flight that then fails ends done at once, without backing off', async () => {
      const { fetcher, send, fetch, block } = start({ demand: 5, backoffMs: 100 });
      fetch.last().resolve([]);
      await settle();
      send({ type: 'shutdown' });
      block.last().reject(new Error('ECONNRESET'));
      await settle();
      expect(status(fetcher)).to.equal('done');
    });

    for (const [where, input, prepare] of [
      ['idle', { demand: 0 }, async () => {}],
      ['quiet', { demand: 3, quiet: true }, async () => {}],
      [
        'backingOff',
        { demand: 3 },
        async (f: ReturnType<typeof start>) => {
          f.fetch.last().reject(new Error('ECONNREFUSED'));
          await settle();
        },
      ],
    ] as const) {
      it(`in ${where} ends at once`, async () => {
        const f = start(input);
        await prepare(f);
        expect(value(f.fetcher)).to.equal(where);
        const calls = f.fetch.calls.length;
        f.send({ type: 'shutdown' });
        expect(status(f.fetcher)).to.equal('done');
        expect(f.ended).to.deep.equal(['done']);
        await advance(f.clock, 60_000);
        expect(f.fetch.calls).to.have.length(calls);
        expect(f.block.calls).to.have.length(0);
      });
    }
  });
});
