import { expect } from 'chai';
import diagnostics_channel from 'node:diagnostics_channel';
import { createActor } from 'xstate';
import type { JobEvent } from '../../machines/reporter.js';
import type { SupervisorLogic } from '../../machines/supervisor.js';
import { systemClock } from '../../src/clock.js';
import { KiqEmitter, type KiqEvents } from '../../src/events.js';
import { ReporterBus } from '../../src/reporters/bus.js';
import { instrumenter, instrumenterWanted } from '../../src/reporters/instrumenter.js';
import { reportersSpec, reporterTargets, type ReportersConfig } from '../../src/reporters/supervisor.js';
import { CHANNEL_NAMES, jobChannels, type JobChannels } from '../../src/telemetry.js';
import { silent } from '../support/logger.js';
import { until } from '../support/wait.js';
import { job, outcome, settle, start } from './support.js';

type Name = keyof JobChannels;
const NAMES = Object.values(CHANNEL_NAMES) as Name[];

/** Subscribe to every job channel; returns what arrived, as [channel, message]. */
function subscribeAll() {
  const got: [string, unknown][] = [];
  const handlers = NAMES.map((name) => {
    const handler = (message: unknown, channel: string | symbol) => void got.push([String(channel), message]);
    diagnostics_channel.subscribe(name, handler);
    return [name, handler] as const;
  });
  const unsubscribe = () => {
    for (const [name, handler] of handlers) diagnostics_channel.unsubscribe(name, handler);
  };
  return { got, unsubscribe };
}

const events = (n: number, retryCount?: number): JobEvent[] => {
  const payload = job(n, retryCount === undefined ? {} : { retry_count: retryCount });
  return [
    { type: 'started', job: payload, queue: 'work' },
    { type: 'success', job: payload, queue: 'work', durationMs: 4.25 },
    { type: 'aborted', job: payload, queue: 'work', reason: 'expired' },
    { type: 'failure', job: payload, queue: 'work', error: new TypeError('x'), outcome: 'dead', durationMs: 7 },
    { type: 'stopped', job: payload, queue: 'work' },
  ];
};

describe('Instrumenter reporter and the telemetry channels (src/reporters/instrumenter.ts, src/telemetry.ts)', () => {
  let subscription: ReturnType<typeof subscribeAll> | undefined;
  afterEach(() => {
    subscription?.unsubscribe();
    subscription = undefined;
  });

  it('names the channels kiq:job:started, kiq:job:success, kiq:job:aborted and kiq:job:failure', () => {
    expect(CHANNEL_NAMES).to.deep.equal({ started: 'kiq:job:started', success: 'kiq:job:success', aborted: 'kiq:job:aborted', failure: 'kiq:job:failure' });
    for (const [type, channel] of Object.entries(jobChannels)) expect(channel.name).to.equal(CHANNEL_NAMES[type as keyof typeof CHANNEL_NAMES]);
  });

  it('publishes each event with the documented payload, and nothing for stopped', () => {
    subscription = subscribeAll();
    const handle = instrumenter(undefined);
    const batch = events(1, 3);
    for (const event of batch) handle(event);
    const payload = batch[0]!.job;
    const common = { class: 'Echo', queue: 'work', jid: 'jid-1', job: payload };
    expect(subscription.got).to.deep.equal([
      ['kiq:job:started', common],
      ['kiq:job:success', { ...common, durationMs: 4.25 }],
      ['kiq:job:aborted', { ...common, reason: 'expired' }],
      ['kiq:job:failure', { ...common, error: (batch[3] as { error: Error }).error, outcome: 'dead', retryCount: 3, durationMs: 7 }],
    ]);
  });

  it('reports retryCount 0, no durationMs and jid "" when the payload and outcome lack them', () => {
    subscription = subscribeAll();
    const payload = job(2);
    delete (payload as { jid?: string }).jid;
    instrumenter(undefined)({ type: 'failure', job: payload, queue: 'work', error: new Error('e'), outcome: 'retry' });
    const [, message] = subscription.got[0]!;
    expect(message).to.include({ jid: '', retryCount: 0, outcome: 'retry' });
    expect(message).to.not.have.property('durationMs');
  });

  it('publishes nothing and builds nothing when no channel has a subscriber and nobody listens', () => {
    const published: string[] = [];
    const channels = NAMES.map((name) => diagnostics_channel.channel(name));
    // an own property over the prototype's method (Node swaps the prototype when a channel gets a subscriber)
    for (const channel of channels) channel.publish = () => void published.push(channel.name as string);
    const emitter = new KiqEmitter(silent());
    let emitted = 0;
    const emit = emitter.emit.bind(emitter);
    emitter.emit = ((...args: Parameters<typeof emit>) => {
      emitted++;
      emit(...args);
    }) as typeof emitter.emit;
    try {
      for (const channel of Object.values(jobChannels)) expect(channel.hasSubscribers).to.equal(false);
      const handle = instrumenter(emitter);
      // a job whose `class` getter throws would show any attempt to build a message
      const trap = Object.defineProperty(job(3), 'class', {
        get() {
          throw new Error('message was built');
        },
      });
      for (const event of events(3)) handle({ ...event, job: trap });
      expect(published).to.deep.equal([]);
      expect(emitted).to.equal(0);
      expect(instrumenterWanted(emitter)()).to.equal(false);
    } finally {
      for (const channel of channels) delete (channel as { publish?: unknown }).publish;
    }
  });

  it('is wanted as soon as one channel has a subscriber or kiq.on has a job listener', () => {
    const emitter = new KiqEmitter(silent());
    const wanted = instrumenterWanted(emitter);
    expect(wanted()).to.equal(false);
    const handler = () => undefined;
    diagnostics_channel.subscribe('kiq:job:aborted', handler);
    expect(wanted()).to.equal(true);
    diagnostics_channel.unsubscribe('kiq:job:aborted', handler);
    expect(wanted()).to.equal(false);
    emitter.on('job:failure', handler);
    expect(wanted()).to.equal(true);
    emitter.off('job:failure', handler);
    expect(wanted()).to.equal(false);
    emitter.on('started', handler); // a process event is not job telemetry
    expect(wanted()).to.equal(false);
  });

  it('emits the same messages as kiq.on job events, only those listened to', () => {
    const emitter = new KiqEmitter(silent());
    const got: { success: KiqEvents['job:success'][]; failure: KiqEvents['job:failure'][] } = { success: [], failure: [] };
    emitter.on('job:success', (message) => got.success.push(message));
    emitter.on('job:failure', (message) => got.failure.push(message));
    expect(emitter.hasListeners('job:success')).to.equal(true);
    expect(emitter.hasListeners('job:started')).to.equal(false);
    subscription = subscribeAll();
    const handle = instrumenter(emitter);
    for (const event of events(4)) handle(event);
    expect(got.success).to.have.length(1);
    expect(got.success[0]).to.include({ class: 'Echo', queue: 'work', jid: 'jid-4', durationMs: 4.25 });
    expect(got.failure[0]).to.include({ outcome: 'dead', retryCount: 0 });
    // one message object for the channel and the listener
    expect(subscription.got.find(([name]) => name === 'kiq:job:success')![1]).to.equal(got.success[0]);
  });

  it('reaches channel subscribers end to end: job hooks → bus → reporters supervisor → channels, in job order', async () => {
    const logger = silent();
    const emitter = new KiqEmitter(logger);
    const config: ReportersConfig = { logger, clock: systemClock, extraReporters: [] };
    const root = createActor(reportersSpec(config, { logger, emitter }).logic as SupervisorLogic);
    root.start();
    const bus = new ReporterBus({ system: () => root.system, targets: reporterTargets(config, { emitter }), logger });
    // nobody subscribed: only the logger reporter's events are recorded
    subscription = subscribeAll();
    const ok = job(1);
    const bad = job(2);
    const late = job(3);
    bus.started(start(ok));
    bus.started(start(bad));
    bus.finished(outcome.success(ok, 3));
    bus.finished(outcome.discard(bad));
    bus.finished(outcome.expired(late));
    await until(() => subscription!.got.length === 5, 2000, 'five messages');
    expect(subscription.got.map(([name, message]) => `${name} ${(message as { jid: string }).jid}`)).to.deep.equal([
      'kiq:job:started jid-1',
      'kiq:job:started jid-2',
      'kiq:job:success jid-1',
      'kiq:job:failure jid-2',
      'kiq:job:aborted jid-3',
    ]);
    await settle();
    root.stop();
  });
});
