import { expect } from 'chai';
import { createActor, SimulatedClock, type Actor } from 'xstate';
import { flusherMachine, type FlusherEmitted, type FlushOutput } from '../../machines/flusher.js';
import { flusherIO } from '../../machines/flusher-io.js';

/** A fake `io` actor: each flush call takes its outcome from `script` and records the call. */
function fakeFlush(script: Array<FlushOutput | Error>) {
  const calls: number[] = [];
  let pending: { resolve: (o: FlushOutput) => void; reject: (e: Error) => void } | undefined;
  const logic = flusherIO({
    flush: () =>
      new Promise<FlushOutput>((resolve, reject) => {
        calls.push(calls.length);
        const next = script.shift();
        if (next === undefined) pending = { resolve, reject };
        else if (next instanceof Error) reject(next);
        else resolve(next);
      }),
  });
  return {
    logic,
    calls,
    /** Settle a call that found nothing scripted. */
    settle(outcome: FlushOutput | Error) {
      const p = pending;
      pending = undefined;
      if (!p) throw new Error('no flush is waiting');
      if (outcome instanceof Error) p.reject(outcome);
      else p.resolve(outcome);
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function start(flush: ReturnType<typeof fakeFlush>, clock: SimulatedClock, emitted: FlusherEmitted[] = []) {
  const actor = createActor(flusherMachine.provide({ actors: { io: flush.logic } }), {
    clock,
    input: { interval: 10, maxInterval: 50 },
  });
  actor.on('*', (event) => emitted.push(event as FlusherEmitted));
  actor.start();
  return actor;
}

const ok = (written: number, remaining = 0): FlushOutput => ({ written, remaining });
const value = (actor: Actor<typeof flusherMachine>) => actor.getSnapshot().value;

describe('Flusher machine', () => {
  it('writes what is already waiting when it starts, then idles until a job arrives', async () => {
    const clock = new SimulatedClock();
    const flush = fakeFlush([ok(3), ok(1)]);
    const actor = start(flush, clock);
    await settle();
    expect(flush.calls).to.have.length(1);
    expect(value(actor)).to.equal('idle');
    clock.increment(10_000);
    await settle();
    expect(flush.calls, 'no polling while idle').to.have.length(1);
    actor.send({ type: 'enqueued' });
    await settle();
    expect(flush.calls).to.have.length(2);
    expect(actor.getSnapshot().context.written).to.equal(4);
  });

  it('group commit: jobs that arrive during a write go out in the next write at once', async () => {
    const clock = new SimulatedClock();
    const flush = fakeFlush([ok(0)]);
    const actor = start(flush, clock);
    await settle();
    actor.send({ type: 'enqueued' });
    await settle();
    expect(value(actor)).to.equal('flushing');
    // the buffer says "more waiting" by its remaining count
    flush.settle(ok(1, 250));
    await settle();
    expect(flush.calls).to.have.length(3);
    flush.settle(ok(250, 0));
    await settle();
    expect(value(actor)).to.equal('idle');
    expect(actor.getSnapshot().context.written).to.equal(251);
  });

  it('does not lose a nudge that arrives after a write counted the buffer but before it finished', async () => {
    const clock = new SimulatedClock();
    const flush = fakeFlush([ok(0)]);
    const actor = start(flush, clock);
    await settle();
    actor.send({ type: 'enqueued' });
    await settle();
    actor.send({ type: 'enqueued' }); // arrives while the write is in flight
    flush.settle(ok(1, 0)); // the write saw nothing remaining
    await settle();
    expect(flush.calls, 'a follow-up write is started').to.have.length(3);
  });

  it('backs off ×1.5 from the interval up to the cap on failures, and resets on success', async () => {
    const clock = new SimulatedClock();
    const boom = new Error('ECONNREFUSED');
    const flush = fakeFlush([boom, boom, boom, boom, boom, boom, ok(5)]);
    const emitted: FlusherEmitted[] = [];
    const actor = start(flush, clock, emitted);
    const intervals: number[] = [];
    for (let i = 0; i < 6; i++) {
      await settle();
      intervals.push(actor.getSnapshot().context.interval);
      expect(value(actor)).to.equal('backingOff');
      const calls = flush.calls.length;
      clock.increment(actor.getSnapshot().context.interval - 1);
      await settle();
      expect(flush.calls.length, 'no retry before the interval').to.equal(calls);
      clock.increment(1);
    }
    await settle();
    expect(intervals).to.deep.equal([15, 22, 33, 49, 50, 50]);
    expect(value(actor)).to.equal('idle');
    expect(actor.getSnapshot().context.interval).to.equal(10);
    expect(emitted.filter((e) => e.type === 'flusher.failed')).to.have.length(6);
    expect(emitted.at(-1)).to.deep.equal({ type: 'flusher.restored', failures: 6 });
  });

  it('stops waiting out its backoff as soon as Redis is back (redis.ready)', async () => {
    const clock = new SimulatedClock();
    const boom = new Error('ECONNREFUSED');
    const flush = fakeFlush([boom, boom, boom, boom, boom, boom, ok(3)]);
    const actor = createActor(flusherMachine.provide({ actors: { io: flush.logic } }), {
      clock,
      input: { interval: 10, maxInterval: 5000 },
    }).start();
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.increment(actor.getSnapshot().context.interval);
    }
    await settle();
    expect(value(actor)).to.equal('backingOff');
    expect(actor.getSnapshot().context.interval, 'deep in backoff').to.be.greaterThan(100);
    const calls = flush.calls.length;
    actor.send({ type: 'redis.ready' });
    await settle();
    expect(flush.calls.length, 'a write starts at once').to.equal(calls + 1);
    expect(value(actor)).to.equal('idle');
  });

  it('never aborts an in-flight write on shutdown: it finishes, then a final flush, then done', async () => {
    const clock = new SimulatedClock();
    const flush = fakeFlush([ok(0)]);
    const actor = start(flush, clock);
    await settle();
    actor.send({ type: 'enqueued' });
    await settle();
    actor.send({ type: 'shutdown' });
    expect(value(actor)).to.equal('flushing');
    flush.settle(ok(10, 2));
    await settle();
    expect(value(actor)).to.equal('finalFlush');
    flush.settle(ok(2, 0));
    await settle();
    expect(actor.getSnapshot().status).to.equal('done');
    expect(actor.getSnapshot().context.written).to.equal(12);
  });

  it('keeps retrying the final flush with backoff while Redis is down', async () => {
    const clock = new SimulatedClock();
    const flush = fakeFlush([ok(0)]);
    const actor = start(flush, clock);
    await settle();
    actor.send({ type: 'shutdown' });
    await settle();
    flush.settle(new Error('down'));
    await settle();
    expect(value(actor)).to.equal('finalBackoff');
    clock.increment(15);
    await settle();
    expect(value(actor)).to.equal('finalFlush');
    flush.settle(ok(7, 0));
    await settle();
    expect(actor.getSnapshot().status).to.equal('done');
  });
});
