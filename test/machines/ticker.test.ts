import { expect } from 'chai';
import { createActor, fromPromise, SimulatedClock, type Actor } from 'xstate';
import { tickerMachine, type TickerInput, type TickOutput } from '../../machines/ticker.js';
import { advance, fakeIO, settle } from '../support/fake-io.js';
import { failOnUncaught } from '../support/uncaught.js';

/** A controllable `tick` actor: every call stays pending until the test settles it. */
function fakeTick(clock: SimulatedClock) {
  return fakeIO<unknown, TickOutput>(clock, 'tick');
}

function start(input: Partial<TickerInput> = {}) {
  const clock = new SimulatedClock();
  const tick = fakeTick(clock);
  const errors: unknown[] = [];
  const actor = createActor(tickerMachine.provide({ actors: { tick: tick.logic } }), {
    clock,
    input: { firstDelay: 100, retryDelay: 1000, ...input },
  });
  actor.subscribe({ error: (err) => errors.push(err) });
  actor.start();
  return { actor, clock, tick, errors };
}

const value = (actor: Actor<typeof tickerMachine>) => actor.getSnapshot().value;
const status = (actor: Actor<typeof tickerMachine>) => actor.getSnapshot().status;

describe('Ticker machine (machines/ticker.ts)', () => {
  failOnUncaught();

  it('runs the first tick after firstDelay', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    await advance(clock, 99);
    expect(tick.calls, 'no tick before firstDelay').to.have.length(0);
    expect(value(actor)).to.equal('waiting');
    await advance(clock, 1);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100]);
    expect(value(actor)).to.equal('ticking');
    actor.stop();
  });

  it('redis.ready while waiting ticks at once; while ticking it changes nothing', async () => {
    const { actor, clock, tick } = start({ firstDelay: 10_000 });
    await advance(clock, 50);
    actor.send({ type: 'redis.ready' });
    await advance(clock, 0);
    expect(tick.calls.map((c) => c.at), 'a connection came back: tick now').to.deep.equal([50]);
    actor.send({ type: 'redis.ready' });
    await advance(clock, 0);
    expect(tick.calls, 'no second tick while one runs').to.have.length(1);
    tick.last().resolve({ nextDelay: 1_000 });
    await settle();
    await advance(clock, 1_000);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([50, 1_050]);
    actor.stop();
  });

  it('ticks at once when firstDelay is 0', async () => {
    const { actor, clock, tick } = start({ firstDelay: 0 });
    await advance(clock, 0);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([0]);
    actor.stop();
  });

  it("runs the next tick after the tick's nextDelay", async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    await advance(clock, 100);
    tick.last().resolve({ nextDelay: 250 });
    await settle();
    expect(value(actor)).to.equal('waiting');
    await advance(clock, 249);
    expect(tick.calls, 'no tick before nextDelay').to.have.length(1);
    await advance(clock, 1);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 350]);
    // and again with a different answer
    tick.last().resolve({ nextDelay: 30 });
    await settle();
    await advance(clock, 29);
    expect(tick.calls).to.have.length(2);
    await advance(clock, 1);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 350, 380]);
    expect(actor.getSnapshot().context.ticks).to.equal(2);
    actor.stop();
  });

  it('with nextDelay 0 ticks again at once (no simulated time passes)', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    await advance(clock, 100);
    tick.last().resolve({ nextDelay: 0 });
    await settle();
    await advance(clock, 0);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 100]);
    expect(value(actor)).to.equal('ticking');
    actor.stop();
  });

  it('treats a negative nextDelay as 0', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    await advance(clock, 100);
    tick.last().resolve({ nextDelay: -5 });
    await settle();
    await advance(clock, 0);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 100]);
    actor.stop();
  });

  it('waits the longest timer delay (2^31-1 ms) when a tick answers more, not 1 ms as setTimeout would', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    await advance(clock, 100);
    tick.last().resolve({ nextDelay: Infinity });
    await settle();
    expect(actor.getSnapshot().context.delay).to.equal(2_147_483_647);
    await advance(clock, 2_147_483_646);
    expect(tick.calls).to.have.length(1);
    await advance(clock, 1);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 100 + 2_147_483_647]);
    actor.stop();
  });

  it('waits retryDelay when a tick answers NaN (a bug), instead of a timer that never or always fires', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100, retryDelay: 1000 });
    await advance(clock, 100);
    tick.last().resolve({ nextDelay: Number.NaN });
    await settle();
    await advance(clock, 999);
    expect(tick.calls).to.have.length(1);
    await advance(clock, 1);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 1100]);
    actor.stop();
  });

  it('waits retryDelay when a tick resolves with no answer at all (a bug), instead of crashing', async () => {
    const { actor, clock, tick, errors } = start({ firstDelay: 100, retryDelay: 1000 });
    await advance(clock, 100);
    tick.last().resolve(undefined as unknown as TickOutput);
    await settle();
    expect(actor.getSnapshot().status).to.equal('active');
    await advance(clock, 1000);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 1100]);
    expect(errors).to.deep.equal([]);
    actor.stop();
  });

  it('after a rejecting tick waits retryDelay and the loop goes on (the actor never errors)', async () => {
    const { actor, clock, tick, errors } = start({ firstDelay: 100, retryDelay: 1000 });
    await advance(clock, 100);
    tick.last().reject(new Error('tick bug'));
    await settle();
    expect(status(actor)).to.equal('active');
    expect(value(actor)).to.equal('waiting');
    await advance(clock, 999);
    expect(tick.calls, 'no tick before retryDelay').to.have.length(1);
    await advance(clock, 1);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 1100]);
    // a second failure in a row waits the same retryDelay (no backoff in the chart)
    tick.last().reject(new Error('tick bug again'));
    await settle();
    await advance(clock, 1000);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 1100, 2100]);
    // a good tick brings its own delay back
    tick.last().resolve({ nextDelay: 50 });
    await settle();
    await advance(clock, 50);
    expect(tick.calls.map((c) => c.at)).to.deep.equal([100, 1100, 2100, 2150]);
    expect(actor.getSnapshot().context).to.include({ ticks: 1, failures: 2 });
    expect(errors).to.deep.equal([]);
    expect(status(actor)).to.equal('active');
    actor.stop();
  });

  it('on shutdown while waiting ends at once (status done) and never ticks again', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    await advance(clock, 100);
    tick.last().resolve({ nextDelay: 500 });
    await settle();
    await advance(clock, 200);
    actor.send({ type: 'shutdown' });
    expect(status(actor)).to.equal('done');
    await advance(clock, 10_000);
    expect(tick.calls).to.have.length(1);
  });

  it('on shutdown before the first tick ends at once', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    actor.send({ type: 'shutdown' });
    expect(status(actor)).to.equal('done');
    await advance(clock, 1000);
    expect(tick.calls).to.have.length(0);
  });

  it('on shutdown during a tick waits for the tick to finish (not aborted), then done', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    await advance(clock, 100);
    actor.send({ type: 'shutdown' });
    await advance(clock, 60_000);
    expect(status(actor), 'still ticking').to.equal('active');
    expect(value(actor)).to.equal('ticking');
    expect(tick.last().signal.aborted, 'the IO call is not abandoned').to.equal(false);
    tick.last().resolve({ nextDelay: 0 });
    await settle();
    expect(status(actor)).to.equal('done');
    await advance(clock, 1000);
    expect(tick.calls, 'no tick after shutdown').to.have.length(1);
  });

  it('on shutdown during a tick that then rejects ends done without waiting retryDelay', async () => {
    const { actor, clock, tick, errors } = start({ firstDelay: 100 });
    await advance(clock, 100);
    actor.send({ type: 'shutdown' });
    tick.last().reject(new Error('tick bug'));
    await settle();
    expect(status(actor)).to.equal('done');
    expect(errors).to.deep.equal([]);
    await advance(clock, 10_000);
    expect(tick.calls).to.have.length(1);
  });

  it('ignores configure (tickers have nothing to quiet)', async () => {
    const { actor, clock, tick } = start({ firstDelay: 100 });
    actor.send({ type: 'configure', quiet: true });
    await advance(clock, 100);
    expect(tick.calls).to.have.length(1);
    actor.stop();
  });
});
