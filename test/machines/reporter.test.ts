import { expect } from 'chai';
import { createActor, SimulatedClock } from 'xstate';
import { reporterMachine, type JobEvent } from '../../machines/reporter.js';
import { createSupervisor } from '../../machines/supervisor.js';
import { job } from '../reporters/support.js';
import { failOnUncaught } from '../support/uncaught.js';

const started = (n: number): JobEvent => ({ type: 'started', job: job(n), queue: 'work' });
const success = (n: number): JobEvent => ({ type: 'success', job: job(n), queue: 'work', durationMs: 1 });
const stopped = (n: number): JobEvent => ({ type: 'stopped', job: job(n), queue: 'work' });

function start(deliver: (events: readonly JobEvent[]) => void, drainMs?: number) {
  const clock = new SimulatedClock();
  const errors: unknown[] = [];
  const actor = createActor(reporterMachine.provide({ actions: { deliver: (_, { events }) => deliver(events) } }), {
    clock,
    input: drainMs === undefined ? undefined : { drainMs },
  });
  actor.subscribe({ error: (error) => errors.push(error) });
  actor.start();
  return { actor, clock, errors };
}

describe('Reporter machine (machines/reporter.ts)', () => {
  failOnUncaught();

  it('runs deliver once per report.batch with the batch, in order, and counts what it delivered', () => {
    const batches: (readonly JobEvent[])[] = [];
    const { actor } = start((events) => batches.push(events));
    const first = [started(1), success(1), stopped(1)];
    const second = [started(2)];
    actor.send({ type: 'report.batch', events: first });
    actor.send({ type: 'report.batch', events: second });
    expect(batches).to.have.length(2);
    expect(batches[0]).to.equal(first); // the bus's array itself, not a copy
    expect(batches[1]).to.equal(second);
    expect(actor.getSnapshot().context).to.include({ batches: 2, events: 4 });
    expect(actor.getSnapshot().value).to.equal('running');
  });

  it('crashes (status error) when deliver throws, and delivers nothing more', () => {
    let calls = 0;
    const { actor, errors } = start(() => {
      calls++;
      throw new Error('reporter exploded');
    });
    actor.send({ type: 'report.batch', events: [started(1)] });
    expect(actor.getSnapshot().status).to.equal('error');
    expect(errors).to.have.length(1);
    expect((errors[0] as Error).message).to.equal('reporter exploded');
    actor.send({ type: 'report.batch', events: [started(2)] });
    expect(calls).to.equal(1);
  });

  it('crashes when deliver was not provided (the placeholder throws)', () => {
    const errors: unknown[] = [];
    const actor = createActor(reporterMachine);
    actor.subscribe({ error: (error) => errors.push(error) });
    actor.start();
    actor.send({ type: 'report.batch', events: [started(1)] });
    expect(String(errors[0])).to.match(/deliver action was not provided/);
  });

  it('on shutdown keeps delivering for drainMs, then reaches its final state', () => {
    const delivered: JobEvent[] = [];
    const { actor, clock } = start((events) => delivered.push(...events), 20);
    actor.send({ type: 'shutdown' });
    expect(actor.getSnapshot().value).to.equal('draining');
    actor.send({ type: 'report.batch', events: [stopped(1)] }); // the bus's last tick
    expect(delivered).to.have.length(1);
    clock.increment(19);
    expect(actor.getSnapshot().status).to.equal('active');
    clock.increment(1);
    expect(actor.getSnapshot().status).to.equal('done');
  });

  it('is restarted by a supervisor after a crash and receives the next batches under the same systemId', () => {
    let fail = true;
    const delivered: JobEvent[] = [];
    const logic = reporterMachine.provide({
      actions: {
        deliver: (_, { events }) => {
          if (fail) throw new Error('once');
          delivered.push(...events);
        },
      },
    });
    const root = createActor(createSupervisor({ id: 'reporters', now: () => 0, children: [{ id: 'reporter:x', systemId: 'reporter:x', logic }] }));
    const errors: unknown[] = [];
    root.subscribe({ error: (error) => errors.push(error) });
    root.start();
    const before = root.system.get('reporter:x');
    before!.send({ type: 'report.batch', events: [started(1)] });
    const after = root.system.get('reporter:x');
    expect(after).to.not.equal(before);
    expect(after!.getSnapshot().status).to.equal('active');
    fail = false;
    after!.send({ type: 'report.batch', events: [started(2)] });
    expect(delivered.map((e) => e.job.jid)).to.deep.equal(['jid-2']);
    expect(root.getSnapshot().context.restartCount['reporter:x']).to.equal(1);
    expect(errors).to.deep.equal([]);
  });
});
