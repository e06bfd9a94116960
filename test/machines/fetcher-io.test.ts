import { expect } from 'chai';
import { createActor, fromCallback, setup, type AnyActorRef, type AnyEventObject } from 'xstate';
import { fetcherIO, type BlockInput, type FetchInput, type FetcherCalls } from '../../machines/fetcher-io.js';
import type { RawJob } from '../../src/job/raw.js';
import { settle } from '../support/fake-io.js';

/** The io actor under a parent that records every reply (and, with `deliverTo`, hands fetched jobs there). */
function start(calls: FetcherCalls, deliverTo?: AnyActorRef) {
  const replies: AnyEventObject[] = [];
  const parent = setup({ actors: { io: fetcherIO(calls) } }).createMachine({
    invoke: { id: 'io', src: 'io', input: { deliverTo } },
    on: { '*': { actions: ({ event }) => replies.push(event) } },
  });
  const root = createActor(parent);
  const errors: unknown[] = [];
  root.subscribe({ error: (error) => errors.push(error) });
  root.start();
  const io = root.getSnapshot().children.io!;
  return { root, io, replies, errors };
}

describe('Fetcher io actor (machines/fetcher-io.ts)', () => {
  it('runs each command with its input and replies io.fetched / io.blocked', async () => {
    const seen: unknown[] = [];
    const { io, replies } = start({
      fetch: async (input: FetchInput) => {
        seen.push(input);
        return ['j1', 'j2'] as RawJob[];
      },
      block: async (input: BlockInput) => {
        seen.push(input);
        return ['j3'] as RawJob[];
      },
    });
    io.send({ type: 'fetch', input: { queue: 'q', max: 2 } });
    await settle();
    io.send({ type: 'block', input: { queue: 'q', timeoutMs: 500 } });
    await settle();
    expect(seen).to.deep.equal([
      { queue: 'q', max: 2 },
      { queue: 'q', timeoutMs: 500 },
    ]);
    expect(replies).to.deep.equal([
      { type: 'io.fetched', jobs: ['j1', 'j2'] },
      { type: 'io.blocked', jobs: ['j3'] },
    ]);
  });

  it('replies io.failed for a rejected call and for a call that throws before returning a promise; the actor lives on', async () => {
    const boom = new Error('boom');
    const { io, replies, errors } = start({
      fetch: () => Promise.reject(new Error('READONLY')),
      block: () => {
        throw boom;
      },
    });
    io.send({ type: 'fetch', input: { queue: 'q', max: 1 } });
    io.send({ type: 'block', input: { queue: 'q', timeoutMs: 1 } });
    await settle();
    expect(replies.map((r) => r.type)).to.deep.equal(['io.failed', 'io.failed']);
    const failures = replies.map((r) => (r as unknown as { error: unknown }).error);
    expect(failures, 'the throw is told at once, the rejection when it lands').to.have.length(2);
    expect(failures[0]).to.equal(boom);
    expect(String(failures[1])).to.contain('READONLY');
    expect(errors).to.deep.equal([]);
    expect(io.getSnapshot().status).to.equal('active');
  });

  it('drops a reply that lands after it was stopped, while its parent lives on (xstate fromCallback: no sendBack once stopped)', async () => {
    let resolve!: (jobs: readonly RawJob[]) => void;
    const replies: AnyEventObject[] = [];
    const parent = setup({
      actors: {
        io: fetcherIO({ fetch: () => new Promise((r) => (resolve = r)), block: () => new Promise(() => undefined) }),
      },
    }).createMachine({
      initial: 'on',
      states: { on: { invoke: { id: 'io', src: 'io' }, on: { off: 'off' } }, off: {} },
      on: { '*': { actions: ({ event }) => replies.push(event) } },
    });
    const root = createActor(parent).start();
    root.getSnapshot().children.io!.send({ type: 'fetch', input: { queue: 'q', max: 1 } });
    await settle();
    root.send({ type: 'off' });
    replies.length = 0;
    resolve(['late']);
    await settle();
    expect(root.getSnapshot().status).to.equal('active');
    expect(replies).to.deep.equal([]);
  });

  it('hands a reply\'s jobs to deliverTo as one `jobs` event before it replies; an empty reply or a failure delivers nothing', async () => {
    const order: string[] = [];
    const queue = createActor(fromCallback<AnyEventObject>(({ receive }) => receive((event) => order.push(`queue ${event.type} ${JSON.stringify(event.jobs)}`)))).start();
    const results: (readonly RawJob[] | Error)[] = [['j1', 'j2'], [], ['j3'], new Error('down')];
    const next = async () => {
      const result = results.shift()!;
      if (result instanceof Error) throw result;
      return result;
    };
    const { io, replies } = start({ fetch: next, block: next }, queue);
    const recorded = replies.push.bind(replies);
    replies.push = (...events: AnyEventObject[]) => {
      for (const event of events) order.push(`fetcher ${event.type}`);
      return recorded(...events);
    };
    io.send({ type: 'fetch', input: { queue: 'q', max: 2 } });
    await settle();
    io.send({ type: 'block', input: { queue: 'q', timeoutMs: 500 } });
    await settle();
    io.send({ type: 'block', input: { queue: 'q', timeoutMs: 500 } });
    await settle();
    io.send({ type: 'fetch', input: { queue: 'q', max: 2 } });
    await settle();
    expect(order).to.deep.equal([
      'queue jobs ["j1","j2"]',
      'fetcher io.fetched',
      'fetcher io.blocked',
      'queue jobs ["j3"]',
      'fetcher io.blocked',
      'fetcher io.failed',
    ]);
    queue.stop();
  });

  it('delivers nothing from a reply that lands after it was stopped', async () => {
    let resolve!: (jobs: readonly RawJob[]) => void;
    const delivered: AnyEventObject[] = [];
    const queue = createActor(fromCallback<AnyEventObject>(({ receive }) => receive((event) => delivered.push(event)))).start();
    const { root, io } = start({ fetch: () => new Promise((r) => (resolve = r)), block: () => new Promise(() => undefined) }, queue);
    io.send({ type: 'fetch', input: { queue: 'q', max: 1 } });
    await settle();
    root.stop();
    resolve(['late']);
    await settle();
    expect(delivered).to.deep.equal([]);
    queue.stop();
  });
});
