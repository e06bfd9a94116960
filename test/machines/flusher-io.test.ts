import { expect } from 'chai';
import { createActor, setup, type AnyEventObject } from 'xstate';
import { flusherIO, type FlushOutput } from '../../machines/flusher-io.js';
import { settle } from '../support/fake-io.js';

describe('Flusher io actor (machines/flusher-io.ts)', () => {
  /** The io actor in a parent state that `off` leaves (stopping it), recording every reply. */
  function start(flush: (signal: AbortSignal) => Promise<FlushOutput>) {
    const replies: AnyEventObject[] = [];
    let lifetime: AbortSignal | undefined;
    const parent = setup({ actors: { io: flusherIO({ started: (signal) => (lifetime = signal), flush }) } }).createMachine({
      initial: 'on',
      states: { on: { invoke: { id: 'io', src: 'io' }, on: { off: 'off' } }, off: {} },
      on: { '*': { actions: ({ event }) => replies.push(event) } },
    });
    const root = createActor(parent).start();
    const io = root.getSnapshot().children.io!;
    return { root, io, replies, lifetime: () => lifetime };
  }

  it('tells the call its lifetime signal, replies io.flushed with the output, and aborts the signal when stopped', async () => {
    const signals: AbortSignal[] = [];
    const { root, io, replies, lifetime } = start(async (signal) => {
      signals.push(signal);
      return { written: 3, remaining: 1 };
    });
    expect(lifetime()?.aborted).to.equal(false);
    io.send({ type: 'flush' });
    await settle();
    io.send({ type: 'flush' });
    await settle();
    expect(replies).to.deep.equal([
      { type: 'io.flushed', output: { written: 3, remaining: 1 } },
      { type: 'io.flushed', output: { written: 3, remaining: 1 } },
    ]);
    expect(signals).to.have.length(2);
    expect(signals[0]).to.equal(lifetime());
    root.send({ type: 'off' });
    expect(lifetime()?.aborted, 'stopping the actor aborts the calls it made').to.equal(true);
  });

  it('replies io.failed for a rejection and for a synchronous throw; the actor lives on', async () => {
    const errors = [new Error('ECONNREFUSED'), new Error('boom')];
    let n = 0;
    const { io, replies } = start((() => {
      const error = errors[n++]!;
      if (n === 2) throw error;
      return Promise.reject(error);
    }) as (signal: AbortSignal) => Promise<FlushOutput>);
    io.send({ type: 'flush' });
    await settle();
    io.send({ type: 'flush' });
    await settle();
    expect(replies).to.deep.equal([
      { type: 'io.failed', error: errors[0] },
      { type: 'io.failed', error: errors[1] },
    ]);
    expect(io.getSnapshot().status).to.equal('active');
  });

  it('drops the reply of a call that ends after the actor was stopped', async () => {
    let resolve!: (output: FlushOutput) => void;
    const { root, io, replies } = start(() => new Promise((r) => (resolve = r)));
    io.send({ type: 'flush' });
    await settle();
    root.send({ type: 'off' });
    replies.length = 0;
    resolve({ written: 1, remaining: 0 });
    await settle();
    expect(replies).to.deep.equal([]);
  });
});
