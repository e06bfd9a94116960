import { expect } from 'chai';
import { createActor, type Actor, type AnyActorRef } from 'xstate';
import { createSupervisor, type SupervisorLogic } from '../../machines/supervisor.js';
import { systemClock } from '../../src/clock.js';
import type { Reporter, ReporterEvent } from '../../src/config/options.js';
import { KiqEmitter } from '../../src/events.js';
import { ReporterBus } from '../../src/reporters/bus.js';
import { CRASH_WINDOW_MS, MAX_CRASHES, ReporterDisabledError } from '../../src/reporters/guard.js';
import { reportersSpec, reporterTargets, type ReportersConfig } from '../../src/reporters/supervisor.js';
import { silent, type MemoryLogger } from '../support/logger.js';
import { until } from '../support/wait.js';
import { job, outcome, recorder, settle, start, summary } from './support.js';
import { failOnUncaught } from '../support/uncaught.js';

/**
 * The reporters subtree under a root shaped like Kiq's (one-for-one, 3 restarts in 5 s),
 * fed by a bus exactly as the facade wires it.
 */
function boot(extraReporters: Reporter[]) {
  const logger = silent();
  const emitter = new KiqEmitter(logger);
  const errors: Error[] = [];
  emitter.on('error', (error) => errors.push(error));
  const config: ReportersConfig = { logger, clock: systemClock, extraReporters };
  const root: Actor<SupervisorLogic> = createActor(
    createSupervisor({ id: 'kiq', maxRestarts: 3, maxSeconds: 5, now: () => systemClock.monoMs(), children: [reportersSpec(config, { logger, emitter })] }),
    { id: 'kiq' },
  );
  const rootErrors: unknown[] = [];
  root.subscribe({ error: (error) => rootErrors.push(error) });
  root.start();
  const bus = new ReporterBus({ system: () => root.system, targets: reporterTargets(config, { emitter }), logger });
  /** Run `n` jobs through the bus (started, success, stopped), one tick. */
  let next = 0;
  const runJobs = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const payload = job(next++);
      bus.started(start(payload));
      bus.finished(outcome.success(payload));
    }
    await settle();
  };
  return { root, rootErrors, bus, logger, emitter, errors, runJobs };
}

const lines = (logger: MemoryLogger) => logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const kiqLines = (logger: MemoryLogger, event: string) => lines(logger).filter((line) => line.event === event);

describe('Reporters supervisor (src/reporters/supervisor.ts)', () => {
  failOnUncaught();

  it('starts reporter:logger, reporter:instrumenter and one reporter:<i> per extra reporter, the ones the bus feeds', () => {
    const config: ReportersConfig = { logger: silent(), clock: systemClock, extraReporters: [recorder(), recorder()] };
    const spec = reportersSpec(config, { logger: config.logger });
    expect(spec).to.include({ id: 'reporters', systemId: 'reporters', restart: 'permanent' });
    const root = createActor(spec.logic as SupervisorLogic);
    root.start();
    const ids = ['reporter:logger', 'reporter:instrumenter', 'reporter:0', 'reporter:1'];
    for (const id of ids) expect(root.system.get(id)?.getSnapshot().status, id).to.equal('active');
    expect(reporterTargets(config).map((t) => t.systemId)).to.deep.equal(ids);
    expect(reporterTargets(config).map((t) => typeof t.wanted)).to.deep.equal(['undefined', 'function', 'undefined', 'undefined']);
    root.stop();
  });

  it('delivers every event to every reporter in order, and logs a JSON line per event', async () => {
    const a = recorder();
    const { bus, logger, runJobs, root } = boot([a]);
    await runJobs(3);
    const failing = job(100, { retry_count: 2 });
    bus.started(start(failing));
    bus.finished(outcome.retry(failing, new TypeError('nope')));
    await settle();
    expect(summary(a.events)).to.deep.equal([
      'started jid-0', 'success jid-0', 'stopped jid-0',
      'started jid-1', 'success jid-1', 'stopped jid-1',
      'started jid-2', 'success jid-2', 'stopped jid-2',
      'started jid-100', 'failure jid-100', 'stopped jid-100',
    ]);
    const logged = lines(logger).filter((line) => String(line.event).startsWith('job_'));
    expect(logged.map((line) => line.event)).to.deep.equal([
      'job_started', 'job_success', 'job_started', 'job_success', 'job_started', 'job_success', 'job_started', 'job_failure',
    ]);
    expect(logged.at(-1)).to.include({ source: 'kiq', class: 'Echo', queue: 'work', jid: 'jid-100', error: 'nope', error_class: 'TypeError', retry_count: 2, outcome: 'retry' });
    root.stop();
  });

  it('restarts a reporter that throws, logging each restart, and disables it before it can make the tree give up', async () => {
    let calls = 0;
    const bad: Reporter = {
      started() {
        calls++;
        throw new Error('reporter bug');
      },
    };
    const good = recorder();
    const { root, rootErrors, logger, errors, runJobs } = boot([bad, good]);
    const incarnations = new Set<AnyActorRef>();
    for (let tick = 0; tick < 30; tick++) {
      incarnations.add(root.system.get('reporter:0')!);
      await runJobs(10);
    }
    // the Kiq root (3 restarts in 5 s) never saw a thing: reporters did not escalate
    expect(root.getSnapshot().status).to.equal('active');
    expect(rootErrors).to.deep.equal([]);
    const reporters = root.system.get('reporters')!;
    expect(reporters.getSnapshot().status).to.equal('active');
    expect(root.getSnapshot().context.restartCount.reporters).to.equal(0);
    // crashed and was restarted MAX_CRASHES - 1 times, one log line each, then disabled
    const crashed = kiqLines(logger, 'reporter_crashed');
    expect(crashed).to.have.length(MAX_CRASHES - 1);
    expect(crashed[0]).to.include({ source: 'kiq', reporter: 'reporter:0', failed: 10, events: 30, error: 'reporter bug', error_class: 'Error', crashes: 1, action: 'restart' });
    expect(reporters.getSnapshot().context.restartCount['reporter:0']).to.equal(MAX_CRASHES - 1);
    expect(incarnations.size).to.equal(MAX_CRASHES);
    const disabled = kiqLines(logger, 'reporter_disabled');
    expect(disabled).to.have.length(1);
    expect(disabled[0]).to.include({ reporter: 'reporter:0', crashes: MAX_CRASHES, window_ms: CRASH_WINDOW_MS });
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(ReporterDisabledError);
    expect(errors[0]!.message).to.match(/reporter:0 disabled after 5 crashes/);
    // each failing batch was handled event by event, then the reporter got nothing more
    expect(calls).to.equal(MAX_CRASHES * 10);
    // the other reporters got every event, in order
    expect(good.events).to.have.length(30 * 10 * 3);
    expect(summary(good.events).slice(0, 3)).to.deep.equal(['started jid-0', 'success jid-0', 'stopped jid-0']);
    expect(summary(good.events).slice(-3)).to.deep.equal(['started jid-299', 'success jid-299', 'stopped jid-299']);
    expect(kiqLines(logger, 'job_success')).to.have.length(300);
    root.stop();
  });

  it('survives every reporter throwing at once, the logger included, without touching the root', async () => {
    const throwing = (): Reporter => ({
      started() {
        throw new Error('bad');
      },
    });
    const { root, rootErrors, logger, errors, runJobs } = boot([throwing(), throwing(), throwing()]);
    logger.info = () => {
      throw new Error('logger down');
    };
    for (let tick = 0; tick < 20; tick++) await runJobs(5);
    expect(rootErrors).to.deep.equal([]);
    expect(root.getSnapshot().context.restartCount.reporters).to.equal(0);
    expect(root.system.get('reporters')!.getSnapshot().status).to.equal('active');
    // the logger reporter and the three user reporters were each disabled once
    expect(errors.map((error) => (error as ReporterDisabledError).reporter).sort()).to.deep.equal(['reporter:0', 'reporter:1', 'reporter:2', 'reporter:logger']);
    expect(kiqLines(logger, 'reporter_crashed')).to.have.length(4 * (MAX_CRASHES - 1));
    root.stop();
  });

  it('hands the rest of a batch to a reporter that throws on one event, then restarts it', async () => {
    const seen: string[] = [];
    const flaky: Reporter = {
      success(event) {
        seen.push(String(event.job.jid));
        if (event.job.jid === 'jid-1') throw new Error('only this one');
      },
    };
    const { root, logger, runJobs } = boot([flaky]);
    const first = root.system.get('reporter:0');
    await runJobs(3);
    expect(seen).to.deep.equal(['jid-0', 'jid-1', 'jid-2']);
    expect(kiqLines(logger, 'reporter_crashed')).to.have.length(1);
    expect(kiqLines(logger, 'reporter_crashed')[0]).to.include({ failed: 1, events: 9 });
    expect(root.system.get('reporter:0')).to.not.equal(first);
    await runJobs(1);
    expect(seen).to.deep.equal(['jid-0', 'jid-1', 'jid-2', 'jid-3']);
    root.stop();
  });

  it('logs a rejected promise (rate-limited) and never leaves it unhandled', async () => {
    const rejecting: Reporter = { success: async () => Promise.reject(new RangeError('backend down')) };
    const { root, logger, runJobs } = boot([rejecting]);
    await runJobs(5);
    await until(() => kiqLines(logger, 'reporter_rejected').length === 1, 2000, 'rejection logged');
    expect(kiqLines(logger, 'reporter_rejected')[0]).to.include({ reporter: 'reporter:0', error: 'backend down', error_class: 'RangeError', not_logged: 0 });
    expect(kiqLines(logger, 'reporter_crashed')).to.deep.equal([]);
    // the four other rejections of that second were counted, not logged
    await settle();
    expect(kiqLines(logger, 'reporter_rejected')).to.have.length(1);
    root.stop();
  });

  it('does not wait for a reporter whose promises never settle', async () => {
    const pending: ReporterEvent[] = [];
    const stuck: Reporter = { started: (event) => new Promise<void>(() => void pending.push(event)) };
    const good = recorder();
    const { root, bus, runJobs } = boot([stuck, good]);
    for (let tick = 0; tick < 5; tick++) await runJobs(100);
    expect(pending).to.have.length(500);
    expect(good.events).to.have.length(1500);
    expect(bus.pending).to.equal(0);
    root.stop();
  });

  it('shuts down in order, delivering the batch of the last tick first', async () => {
    const a = recorder();
    const { root, bus } = boot([a]);
    const payload = job(1);
    bus.started(start(payload));
    bus.finished(outcome.success(payload));
    root.send({ type: 'shutdown' }); // the bus's tick has not run yet
    await until(() => root.getSnapshot().status === 'done', 3000, 'root done');
    expect(summary(a.events)).to.deep.equal(['started jid-1', 'success jid-1', 'stopped jid-1']);
    expect(root.getSnapshot().output).to.deep.equal({ reason: 'normal' });
  });
});
