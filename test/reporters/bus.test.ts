import { expect } from 'chai';
import { createActor, type AnyActorRef } from 'xstate';
import { reporterMachine, type JobEvent } from '../../machines/reporter.js';
import { createSupervisor } from '../../machines/supervisor.js';
import { ReporterBus, type BusTarget, type ReporterLookup } from '../../src/reporters/bus.js';
import { silent } from '../support/logger.js';
import { job, outcome, settle, start, summary } from './support.js';

/** Reporter actors under a supervisor root, each recording the batches it gets. */
function reporters(names: string[]) {
  const batches = new Map<string, (readonly JobEvent[])[]>(names.map((name) => [name, []]));
  const root = createActor(
    createSupervisor({
      id: 'reporters',
      now: () => 0,
      children: names.map((name) => ({
        id: name,
        systemId: name,
        logic: reporterMachine.provide({ actions: { deliver: (_, { events }) => void batches.get(name)!.push(events) } }),
      })),
    }),
  );
  root.subscribe({ error: () => undefined });
  root.start();
  const events = (name: string) => batches.get(name)!.flat();
  return { root, batches, events };
}

/** Count setImmediate calls while `body` runs. */
function countImmediates(body: () => void): number {
  const original = globalThis.setImmediate;
  let calls = 0;
  globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
    calls++;
    return original(...args);
  }) as typeof setImmediate;
  try {
    body();
  } finally {
    globalThis.setImmediate = original;
  }
  return calls;
}

describe('Reporter bus (src/reporters/bus.ts)', () => {
  it('sends 1,000 jobs to every reporter in one batch per tick, each event in job order', async () => {
    const { root, batches, events } = reporters(['reporter:a', 'reporter:b']);
    const bus = new ReporterBus({ system: () => root.system, targets: [{ systemId: 'reporter:a' }, { systemId: 'reporter:b' }], logger: silent() });
    const expected: string[] = [];
    for (let n = 0; n < 1000; n++) {
      const payload = job(n);
      bus.started(start(payload));
      const kind = n % 10 === 0 ? 'retry' : n % 10 === 1 ? 'dead' : 'success';
      bus.finished(outcome[kind](payload));
      expected.push(`started jid-${n}`, `${kind === 'success' ? 'success' : 'failure'} jid-${n}`, `stopped jid-${n}`);
    }
    expect(bus.pending).to.equal(3000);
    await settle();
    expect(bus.pending).to.equal(0);
    for (const name of ['reporter:a', 'reporter:b']) {
      expect(batches.get(name)).to.have.length(1);
      expect(summary(events(name))).to.deep.equal(expected);
    }
    // both reporters get the same (read-only) array
    expect(batches.get('reporter:a')![0]).to.equal(batches.get('reporter:b')![0]);
  });

  it('keeps the order of interleaved jobs across ticks, one batch per tick', async () => {
    const { root, batches, events } = reporters(['reporter:a']);
    const bus = new ReporterBus({ system: () => root.system, targets: [{ systemId: 'reporter:a' }], logger: silent() });
    const [a, b] = [job(1), job(2)];
    bus.started(start(a));
    bus.started(start(b));
    await settle();
    bus.finished(outcome.success(b));
    bus.finished(outcome.discard(a));
    await settle();
    expect(batches.get('reporter:a')).to.have.length(2);
    expect(summary(events('reporter:a'))).to.deep.equal(['started jid-1', 'started jid-2', 'success jid-2', 'stopped jid-2', 'failure jid-1', 'stopped jid-1']);
  });

  it('turns each outcome into its event: stopped only after jobs that started, nothing for invalid payloads', async () => {
    const { root, events } = reporters(['reporter:a']);
    const bus = new ReporterBus({ system: () => root.system, targets: [{ systemId: 'reporter:a' }], logger: silent() });
    const error = new Error('bad');
    bus.finished(outcome.success(job(1), 12.5));
    bus.finished(outcome.retry(job(2), error));
    bus.finished(outcome.dead(job(3)));
    bus.finished(outcome.discard(job(4)));
    bus.finished(outcome.expired(job(5)));
    bus.finished(outcome.shutdownBeforeStart(job(6)));
    bus.finished(outcome.shutdownWhileRunning(job(7)));
    bus.finished({ kind: 'invalid', raw: 'nope', queue: 'work', error: Object.assign(new Error('invalid'), { code: 'KIQ_ERR_INVALID_JOB' }) as never });
    await settle();
    const got = events('reporter:a');
    expect(summary(got)).to.deep.equal([
      'success jid-1', 'stopped jid-1',
      'failure jid-2', 'stopped jid-2',
      'failure jid-3', 'stopped jid-3',
      'failure jid-4', 'stopped jid-4',
      'aborted jid-5',
      'aborted jid-6',
      'aborted jid-7', 'stopped jid-7',
    ]);
    expect(got[0]).to.deep.include({ type: 'success', durationMs: 12.5, queue: 'work' });
    expect(got[2]).to.deep.include({ type: 'failure', error, outcome: 'retry', durationMs: 2 });
    expect(got[4]).to.deep.include({ type: 'failure', outcome: 'dead' });
    expect(got[4]).to.not.have.property('durationMs');
    expect(got[6]).to.deep.include({ type: 'failure', outcome: 'discard' });
    expect(got[8]).to.deep.include({ type: 'aborted', reason: 'expired' });
    expect(got[10]).to.deep.include({ type: 'aborted', reason: 'shutdown' });
  });

  it('costs nothing when no reporter wants events: no event recorded, no tick scheduled', () => {
    let subscribed = false;
    const lookups: string[] = [];
    const system: ReporterLookup = { get: (id) => void lookups.push(id) as undefined };
    for (const targets of [[], [{ systemId: 'reporter:instrumenter', wanted: () => subscribed }]] as BusTarget[][]) {
      const bus = new ReporterBus({ system: () => system, targets, logger: silent() });
      const immediates = countImmediates(() => {
        for (let n = 0; n < 100; n++) {
          bus.started(start(job(n)));
          bus.finished(outcome.success(job(n)));
        }
      });
      expect(immediates).to.equal(0);
      expect(bus.pending).to.equal(0);
    }
    expect(lookups).to.deep.equal([]);
    // a subscriber appears: the next jobs are recorded, in one tick
    subscribed = true;
    const bus = new ReporterBus({ system: () => system, targets: [{ systemId: 'reporter:instrumenter', wanted: () => subscribed }], logger: silent() });
    const immediates = countImmediates(() => {
      bus.started(start(job(1)));
      bus.finished(outcome.success(job(1)));
    });
    expect(immediates).to.equal(1);
    expect(bus.pending).to.equal(3);
  });

  it('skips a reporter that does not want events at send time, and holds nothing for it', async () => {
    const { root, events } = reporters(['reporter:a', 'reporter:b']);
    const bus = new ReporterBus({
      system: () => root.system,
      targets: [{ systemId: 'reporter:a' }, { systemId: 'reporter:b', wanted: () => false }],
      logger: silent(),
    });
    bus.started(start(job(1)));
    await settle();
    expect(events('reporter:a')).to.have.length(1);
    expect(events('reporter:b')).to.have.length(0);
    expect(bus.held('reporter:b')).to.equal(0);
  });

  it('records and sends only the event types some reporter wants: a warn-only logger gets the failures, and a tick of successes sends nothing', async () => {
    const { root, events } = reporters(['reporter:logger', 'reporter:instrumenter']);
    const bus = new ReporterBus({
      system: () => root.system,
      targets: [
        { systemId: 'reporter:logger', wanted: (type) => type === 'failure' },
        { systemId: 'reporter:instrumenter', wanted: () => false },
      ],
      logger: silent(),
    });
    const immediates = countImmediates(() => {
      for (let n = 0; n < 10; n++) {
        bus.started(start(job(n)));
        bus.finished(outcome.success(job(n)));
      }
    });
    expect(immediates, 'nothing recorded: no tick').to.equal(0);
    expect(bus.pending).to.equal(0);
    bus.started(start(job(10)));
    bus.finished(outcome.success(job(10)));
    bus.finished(outcome.retry(job(11), new Error('bad')));
    expect(bus.pending, 'only the failure is recorded').to.equal(1);
    await settle();
    expect(summary(events('reporter:logger'))).to.deep.equal(['failure jid-11']);
    expect(events('reporter:instrumenter')).to.have.length(0);
  });

  it('sends each reporter only the events it wants from a batch others want whole', async () => {
    const { root, events } = reporters(['reporter:a', 'reporter:b']);
    const bus = new ReporterBus({
      system: () => root.system,
      targets: [{ systemId: 'reporter:a' }, { systemId: 'reporter:b', wanted: (type) => type === 'success' }],
      logger: silent(),
    });
    bus.started(start(job(1)));
    bus.finished(outcome.success(job(1)));
    await settle();
    expect(summary(events('reporter:a'))).to.deep.equal(['started jid-1', 'success jid-1', 'stopped jid-1']);
    expect(summary(events('reporter:b'))).to.deep.equal(['success jid-1']);
  });

  it('looks reporters up at every send: a restarted reporter (a new ref) gets the next batch', async () => {
    let crash = true;
    const got: JobEvent[] = [];
    const logic = reporterMachine.provide({
      actions: {
        deliver: (_, { events }) => {
          if (crash) throw new Error('boom');
          got.push(...events);
        },
      },
    });
    const root = createActor(createSupervisor({ id: 'reporters', now: () => 0, children: [{ id: 'reporter:a', systemId: 'reporter:a', logic }] }));
    root.subscribe({ error: () => undefined });
    root.start();
    const first = root.system.get('reporter:a') as AnyActorRef;
    const bus = new ReporterBus({ system: () => root.system, targets: [{ systemId: 'reporter:a' }], logger: silent() });
    bus.started(start(job(1)));
    await settle();
    expect(root.system.get('reporter:a')).to.not.equal(first);
    crash = false;
    bus.started(start(job(2)));
    await settle();
    expect(summary(got)).to.deep.equal(['started jid-2']);
  });

  it('holds batches for a missing reporter and delivers them first, in order, when it is back', async () => {
    const { root, events } = reporters(['reporter:a']);
    let system: ReporterLookup | undefined;
    const bus = new ReporterBus({ system: () => system, targets: [{ systemId: 'reporter:a' }], logger: silent() });
    bus.started(start(job(1)));
    await settle();
    bus.started(start(job(2)));
    await settle();
    expect(bus.held('reporter:a')).to.equal(2);
    system = root.system;
    bus.started(start(job(3)));
    await settle();
    expect(bus.held('reporter:a')).to.equal(0);
    expect(summary(events('reporter:a'))).to.deep.equal(['started jid-1', 'started jid-2', 'started jid-3']);
  });

  it('delivers what it held for a reporter that is back also when the next batch has nothing it wants', async () => {
    const { root, events } = reporters(['reporter:a', 'reporter:b']);
    let system: ReporterLookup | undefined;
    const bus = new ReporterBus({
      system: () => system,
      targets: [{ systemId: 'reporter:a' }, { systemId: 'reporter:b', wanted: (type) => type === 'failure' }],
      logger: silent(),
    });
    bus.finished(outcome.retry(job(1), new Error('bad')));
    await settle();
    expect(bus.held('reporter:b')).to.equal(1);
    system = root.system;
    bus.started(start(job(2)));
    await settle();
    expect(bus.held('reporter:b')).to.equal(0);
    expect(summary(events('reporter:b'))).to.deep.equal(['failure jid-1']);
    expect(summary(events('reporter:a'))).to.deep.equal(['failure jid-1', 'stopped jid-1', 'started jid-2']);
  });

  it('bounds what it holds for a missing reporter: drops the oldest batches with a single warning', async () => {
    const { root, events } = reporters(['reporter:a']);
    let system: ReporterLookup | undefined;
    const logger = silent();
    const bus = new ReporterBus({ system: () => system, targets: [{ systemId: 'reporter:a' }], logger, maxBacklog: 10 });
    for (let tick = 0; tick < 10; tick++) {
      for (let n = 0; n < 4; n++) bus.started(start(job(tick * 4 + n)));
      await settle(1);
    }
    expect(bus.held('reporter:a')).to.equal(8); // two batches of 4; 10 would not fit three
    const warnings = logger.lines.map((line) => JSON.parse(line)).filter((line) => line.event === 'reporter_events_dropped');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ source: 'kiq', reporter: 'reporter:a', limit: 10 });
    system = root.system;
    bus.started(start(job(99)));
    await settle();
    expect(summary(events('reporter:a'))).to.deep.equal([32, 33, 34, 35, 36, 37, 38, 39, 99].map((n) => `started jid-${n}`));
  });

  it('never throws into the job path or the event loop: a throwing system lookup costs telemetry only', async () => {
    const logger = silent();
    const bus = new ReporterBus({
      system: () => ({
        get: () => {
          throw new Error('lookup bug');
        },
      }),
      targets: [{ systemId: 'reporter:a' }],
      logger,
    });
    bus.started(start(job(1)));
    bus.flush();
    expect(logger.lines.map((line) => JSON.parse(line).event)).to.deep.equal(['reporter_bus_failed']);
  });

  it('records nothing once closed', () => {
    const bus = new ReporterBus({ system: () => undefined, targets: [{ systemId: 'reporter:a' }], logger: silent() });
    bus.started(start(job(1)));
    bus.close();
    expect(bus.pending).to.equal(0);
    const immediates = countImmediates(() => bus.finished(outcome.success(job(1))));
    expect(immediates).to.equal(0);
    expect(bus.pending).to.equal(0);
  });
});
