import { expect } from 'chai';
import { assign, createActor, createMachine, sendParent, setup, SimulatedClock, type Actor, type AnyActorRef } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  createSupervisor,
  type ChildExitedEvent,
  type ChildSpec,
  type ConfigureEvent,
  type ShutdownEvent,
  type SupervisorLogic,
  type SupervisorEvent,
  type SupervisorOptions,
} from '../../machines/supervisor.js';
import { EscalationError } from '../../src/errors.js';
import { failOnUncaught } from '../support/uncaught.js';

// ---- test children ---------------------------------------------------------------------------

type WorkerEvent = { type: 'boom' } | { type: 'finish' } | { type: 'quit' } | ShutdownEvent | ConfigureEvent;
interface WorkerInput {
  name: string;
  quiet?: boolean;
}

/**
 * A small supervised machine. It logs `start <name>` on entry and `shutdown <name>` when asked
 * to stop; `boom` crashes it (a throwing action), `finish` completes it, `quit` reports
 * `child.exited` like a callback actor would. On shutdown it completes (`graceful`), answers
 * `child.exited` (`ack`) or ignores it (`deaf`). Every input it is created with goes to `inputs`.
 */
function worker(log: string[], onShutdown: 'graceful' | 'ack' | 'deaf' = 'graceful', inputs: WorkerInput[] = []) {
  return setup({
    types: {
      input: {} as WorkerInput,
      context: {} as { name: string; quiet: boolean },
      events: {} as WorkerEvent,
    },
    actions: {
      reportExited: sendParent(({ self }): ChildExitedEvent => ({ type: 'child.exited', id: self.id })),
    },
  }).createMachine({
    context: ({ input }) => {
      inputs.push(input);
      return { name: input.name, quiet: input.quiet ?? false };
    },
    entry: ({ context }) => log.push(`start ${context.name}`),
    initial: 'up',
    states: {
      up: {
        on: {
          boom: {
            actions: ({ context }) => {
              throw new Error(`${context.name} boom`);
            },
          },
          finish: 'done',
          quit: { actions: 'reportExited' },
          configure: { actions: assign({ quiet: ({ context, event }) => event.quiet ?? context.quiet }) },
          shutdown: [
            { guard: () => onShutdown === 'graceful', target: 'done', actions: ({ context }) => log.push(`shutdown ${context.name}`) },
            { guard: () => onShutdown === 'ack', actions: [({ context }) => log.push(`shutdown ${context.name}`), 'reportExited'] },
            { actions: ({ context }) => log.push(`shutdown ${context.name} (ignored)`) },
          ],
        },
      },
      done: { type: 'final' },
    },
  });
}

const spec = (log: string[], name: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  logic: worker(log),
  input: { name },
  ...extra,
});

// ---- harness ---------------------------------------------------------------------------------

/** Let promise callbacks and anything they trigger run. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Move the simulated clock (firing due xstate timers), then settle. */
async function advance(clock: SimulatedClock, ms: number): Promise<void> {
  clock.increment(ms);
  await settle();
}

/** One real timer turn: xstate rethrows unhandled errors in a `setTimeout(0)`, which runs first. */
const nextTimerTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A live child of a supervisor (throws when absent, so tests read as assertions). */
function child(parent: AnyActorRef, id: string): AnyActorRef {
  const ref = (parent.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];
  if (!ref) throw new Error(`no child ${id} under ${parent.id}`);
  return ref;
}
const hasChild = (parent: AnyActorRef, id: string) => id in (parent.getSnapshot().children as object);

/** Starts a root supervisor on the simulated clock, always with an error observer. */
function startRoot(clock: SimulatedClock, options: Omit<SupervisorOptions, 'now'>, input?: { quiet?: boolean }) {
  const root: Actor<SupervisorLogic> = createActor(createSupervisor({ now: () => clock.now(), ...options }), {
    clock,
    id: options.id,
    input,
  });
  const errors: unknown[] = [];
  root.subscribe({ error: (err) => errors.push(err) });
  root.start();
  return { root, errors };
}

describe('one-for-one supervisor (machines/supervisor.ts)', () => {
  failOnUncaught();

  describe('restarts', () => {
    it('restarts only the crashed child; its siblings keep the same actor ref and session id', () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root } = startRoot(clock, { id: 'sup', children: [spec(log, 'a'), spec(log, 'b'), spec(log, 'c')] });
      const [a, b, c] = ['a', 'b', 'c'].map((id) => child(root, id));

      b!.send({ type: 'boom' });

      expect(child(root, 'a')).to.equal(a);
      expect(child(root, 'c').sessionId).to.equal(c!.sessionId);
      expect(child(root, 'b')).to.not.equal(b);
      expect(child(root, 'b').getSnapshot().status).to.equal('active');
      expect(log).to.deep.equal(['start a', 'start b', 'start c', 'start b']);
      expect(root.getSnapshot().context.restartCount).to.deep.equal({ a: 0, b: 1, c: 0 });
      expect(root.getSnapshot().context.order).to.deep.equal(['a', 'b', 'c']);
      root.stop();
    });

    it('restarts a permanent child that completed normally, and counts it', () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root } = startRoot(clock, { id: 'sup', children: [spec(log, 'p')] });

      child(root, 'p').send({ type: 'finish' });

      expect(child(root, 'p').getSnapshot().status).to.equal('active');
      expect(root.getSnapshot().context.restartCount).to.deep.equal({ p: 1 });
      root.stop();
    });

    it('does not restart a transient child that completed, but restarts one that crashed', () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root } = startRoot(clock, {
        id: 'sup',
        children: [spec(log, 'a'), spec(log, 'tr', { restart: 'transient' })],
      });

      const first = child(root, 'tr');
      first.send({ type: 'boom' });
      expect(child(root, 'tr')).to.not.equal(first);
      expect(child(root, 'tr').getSnapshot().status).to.equal('active');

      child(root, 'tr').send({ type: 'finish' });
      expect(hasChild(root, 'tr')).to.equal(false);
      expect(root.getSnapshot().context.order).to.deep.equal(['a']);
      expect(root.getSnapshot().context.restartCount).to.deep.equal({ a: 0, tr: 1 });
      root.stop();
    });

    it('treats child.exited as a normal exit: the reporting transient child is stopped, not restarted', () => {
      const clock = new SimulatedClock();
      const { root } = startRoot(clock, { id: 'sup', children: [spec([], 'cb', { restart: 'transient' })] });
      const cb = child(root, 'cb');

      cb.send({ type: 'quit' });

      expect(cb.getSnapshot().status).to.equal('stopped');
      expect(hasChild(root, 'cb')).to.equal(false);
      expect(root.getSnapshot().context.lastExit).to.deep.equal({ id: 'cb', kind: 'exited' });
      root.stop();
    });

    it('never restarts a temporary child, whether it crashed or completed', () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root, errors } = startRoot(clock, {
        id: 'sup',
        children: [spec(log, 'a'), spec(log, 't1', { restart: 'temporary' }), spec(log, 't2', { restart: 'temporary' })],
      });

      child(root, 't1').send({ type: 'boom' });
      child(root, 't2').send({ type: 'finish' });

      expect(hasChild(root, 't1')).to.equal(false);
      expect(hasChild(root, 't2')).to.equal(false);
      expect(root.getSnapshot().context.order).to.deep.equal(['a']);
      expect(log).to.deep.equal(['start a', 'start t1', 'start t2']);
      expect(root.getSnapshot().status).to.equal('active');
      expect(errors).to.deep.equal([]);
      root.stop();
    });

    it('re-registers the systemId for the new incarnation', () => {
      const clock = new SimulatedClock();
      const { root } = startRoot(clock, { id: 'sup', children: [spec([], 'flusher', { systemId: 'flusher' })] });
      const before = root.system.get('flusher') as AnyActorRef;

      before.send({ type: 'boom' });
      expect(root.system.get('flusher')).to.equal(child(root, 'flusher'));
      expect(root.system.get('flusher')).to.not.equal(before);

      child(root, 'flusher').send({ type: 'finish' }); // a completed permanent child too
      expect(root.system.get('flusher')).to.equal(child(root, 'flusher'));
      expect(child(root, 'flusher').getSnapshot().status).to.equal('active');
      root.stop();
    });
  });

  describe('restart intensity', () => {
    it('escalates on the 4th restart within 5 s: orderly reverse shutdown, then the root error observer gets an EscalationError', async () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root, errors } = startRoot(clock, { id: 'sup', children: [spec(log, 'a'), spec(log, 'b'), spec(log, 'c')] });
      for (let i = 0; i < 3; i++) {
        child(root, 'b').send({ type: 'boom' });
        await advance(clock, 1000);
      }
      expect(root.getSnapshot().status).to.equal('active');
      expect(root.getSnapshot().context.restartCount.b).to.equal(3);

      log.length = 0;
      child(root, 'b').send({ type: 'boom' }); // 4th restart within 5 s: one too many

      expect(log).to.deep.equal(['shutdown c', 'shutdown a']); // survivors, reverse start order
      expect(root.getSnapshot().value).to.equal('finishing');
      expect(errors).to.deep.equal([]); // fails only after the after(0) hop
      await advance(clock, 0);

      expect(root.getSnapshot().status).to.equal('error');
      expect(errors).to.have.length(1);
      const err = errors[0];
      expect(err).to.be.instanceOf(EscalationError);
      expect(err).to.equal(root.getSnapshot().error);
      const escalation = err as EscalationError;
      expect(escalation.code).to.equal('KIQ_ERR_ESCALATED');
      expect(escalation.message).to.equal('sup: reached max restart intensity (3 restarts in 5s); last exit: b crashed: b boom');
      expect((escalation.cause as Error).message).to.equal('b boom');
      expect(Object.keys(root.getSnapshot().children)).to.deep.equal([]);
      await nextTimerTurn(); // an unobserved root error would be rethrown here (checked in afterEach)
    });

    it('does not escalate when restarts are spread beyond the window', async () => {
      const clock = new SimulatedClock();
      const { root, errors } = startRoot(clock, { id: 'sup', children: [spec([], 'a'), spec([], 'b')] });

      for (let i = 0; i < 8; i++) {
        child(root, 'b').send({ type: 'boom' }); // every 2 s: never more than 3 within 5 s
        await advance(clock, 2000);
      }

      expect(root.getSnapshot().status).to.equal('active');
      expect(root.getSnapshot().context.restartCount.b).to.equal(8);
      expect(root.getSnapshot().context.restarts).to.deep.equal([10_000, 12_000, 14_000]);
      expect(errors).to.deep.equal([]);
      root.stop();
    });

    it('escalates when a child crashes while starting, instead of restarting it forever', async () => {
      const clock = new SimulatedClock();
      const broken = setup({ types: { input: {} as { name: string } } }).createMachine({
        context: ({ input }) => {
          throw new Error(`cannot start ${input.name}`);
        },
      });
      const { root, errors } = startRoot(clock, { id: 'sup', children: [spec([], 'a'), { id: 'broken', logic: broken, input: { name: 'broken' } }] });
      await advance(clock, 0);

      expect(root.getSnapshot().status).to.equal('error');
      expect(root.getSnapshot().context.restartCount.broken).to.equal(3);
      expect((errors[0] as Error).message).to.equal(
        'sup: reached max restart intensity (3 restarts in 5s); last exit: broken crashed: cannot start broken',
      );
    });

    it('honours maxRestarts and maxSeconds', async () => {
      const clock = new SimulatedClock();
      const { root, errors } = startRoot(clock, { id: 'tight', maxRestarts: 1, maxSeconds: 1, children: [spec([], 'a')] });

      child(root, 'a').send({ type: 'boom' });
      await advance(clock, 1001); // first restart left the 1 s window
      child(root, 'a').send({ type: 'boom' });
      await advance(clock, 500);
      child(root, 'a').send({ type: 'boom' });
      await advance(clock, 0);

      expect(root.getSnapshot().status).to.equal('error');
      expect((errors[0] as Error).message).to.match(/^tight: reached max restart intensity \(1 restarts in 1s\); last exit: a crashed/);
    });
  });

  describe('start and shutdown order', () => {
    it('starts children in spec order, a nested supervisor starting its own children in its turn', () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const nested = createSupervisor({ id: 'nested', now: () => clock.now(), children: [spec(log, 'x'), spec(log, 'y')] });
      const { root } = startRoot(clock, {
        id: 'sup',
        children: [spec(log, 'a'), spec(log, 'b'), { id: 'nested', logic: nested }, spec(log, 'c')],
      });

      expect(log).to.deep.equal(['start a', 'start b', 'start x', 'start y', 'start c']);
      root.stop();
    });

    it('shuts down in reverse start order; a child that ignores shutdown is killed at its timeout', async () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root } = startRoot(clock, {
        id: 'sup',
        children: [
          spec(log, 'first', { shutdown: 100 }),
          { id: 'acker', logic: worker(log, 'ack'), input: { name: 'acker' }, shutdown: 100 },
          { id: 'deaf', logic: worker(log, 'deaf'), input: { name: 'deaf' }, shutdown: 300 },
          spec(log, 'last', { shutdown: 100 }),
        ],
      });
      const deaf = child(root, 'deaf');
      const acker = child(root, 'acker');
      let deafKilledAt = -1;
      deaf.subscribe({ complete: () => (deafKilledAt = clock.now()) });
      await advance(clock, 1000);
      log.length = 0;

      root.send({ type: 'shutdown' });
      expect(log).to.deep.equal(['shutdown last', 'shutdown deaf (ignored)']);
      await advance(clock, 299);
      expect(deaf.getSnapshot().status).to.equal('active'); // still given its time
      expect(root.getSnapshot().context.stopQueue).to.deep.equal(['deaf', 'acker', 'first']);

      await advance(clock, 1);
      expect(deaf.getSnapshot().status).to.equal('stopped');
      expect(deafKilledAt).to.equal(1300); // exactly its 300 ms after the shutdown at t=1000
      expect(acker.getSnapshot().status).to.equal('stopped'); // answered child.exited, then stopped
      expect(log).to.deep.equal(['shutdown last', 'shutdown deaf (ignored)', 'shutdown acker', 'shutdown first']);

      await advance(clock, 0);
      expect(root.getSnapshot().status).to.equal('done');
      expect(root.getSnapshot().output).to.deep.equal({ reason: 'normal' });
      expect(root.getSnapshot().context.reason).to.equal('normal');
    });

    it('restarts nothing once shutting down: a child crashing while it waits its turn is dropped', async () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root, errors } = startRoot(clock, {
        id: 'sup',
        children: [spec(log, 'a'), spec(log, 'b'), { id: 'deaf', logic: worker(log, 'deaf'), input: { name: 'deaf' }, shutdown: 100 }],
      });
      root.send({ type: 'shutdown' });
      log.length = 0;

      child(root, 'a').send({ type: 'boom' });
      expect(hasChild(root, 'a')).to.equal(false);
      expect(root.getSnapshot().context.stopQueue).to.deep.equal(['deaf', 'b']);
      await advance(clock, 100);
      await advance(clock, 0);

      expect(log).to.deep.equal(['shutdown b']); // no 'start a', and a was not asked
      expect(root.getSnapshot().status).to.equal('done');
      expect(errors).to.deep.equal([]);
    });

    it('stops a brutal_kill child at once, without asking it', async () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const { root } = startRoot(clock, {
        id: 'sup',
        children: [spec(log, 'a', { shutdown: 100 }), spec(log, 'brutal', { shutdown: 'brutal_kill' }), spec(log, 'c', { shutdown: 100 })],
      });
      const brutal = child(root, 'brutal');
      log.length = 0;

      root.send({ type: 'shutdown' });

      expect(brutal.getSnapshot().status).to.equal('stopped');
      expect(log).to.deep.equal(['shutdown c', 'shutdown a']);
      await advance(clock, 0);
      expect(root.getSnapshot().status).to.equal('done');
    });

    it('a nested supervisor shuts its own children down before it completes', async () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const queues = createSupervisor({ id: 'queues', now: () => clock.now(), children: [spec(log, 'fetcher'), spec(log, 'runner')] });
      const { root } = startRoot(clock, {
        id: 'kiq',
        children: [spec(log, 'flusher'), { id: 'queues', logic: queues, shutdown: 30_000 }, spec(log, 'reporter')],
      });
      child(root, 'queues').subscribe({ complete: () => log.push('queues done') });
      log.length = 0;

      root.send({ type: 'shutdown' });
      await advance(clock, 0);

      expect(log).to.deep.equal(['shutdown reporter', 'shutdown runner', 'shutdown fetcher', 'queues done', 'shutdown flusher']);
      expect(root.getSnapshot().status).to.equal('done');
    });
  });

  describe('configure', () => {
    it('forwards configure to configurable children only, and a restarted one comes back quiet', () => {
      const clock = new SimulatedClock();
      const inputs: WorkerInput[] = [];
      const { root } = startRoot(clock, {
        id: 'sup',
        children: [
          spec([], 'flusher'),
          { id: 'queue', logic: worker([], 'graceful', inputs), input: { name: 'queue' }, configurable: true },
        ],
      });

      root.send({ type: 'configure', quiet: true });
      expect(child(root, 'queue').getSnapshot().context.quiet).to.equal(true);
      expect(child(root, 'flusher').getSnapshot().context.quiet).to.equal(false);
      expect(root.getSnapshot().context.config).to.deep.equal({ quiet: true });

      child(root, 'queue').send({ type: 'boom' });

      expect(inputs).to.deep.equal([{ name: 'queue' }, { name: 'queue', quiet: true }]);
      expect(child(root, 'queue').getSnapshot().context.quiet).to.equal(true);
      root.stop();
    });

    it('a configurable nested supervisor forwards configure, and keeps it when it is itself restarted', async () => {
      const clock = new SimulatedClock();
      const inputs: WorkerInput[] = [];
      const queues = createSupervisor({
        id: 'queues',
        maxRestarts: 0,
        now: () => clock.now(),
        children: [{ id: 'queue:default', logic: worker([], 'graceful', inputs), input: { name: 'default' }, configurable: true }],
      });
      const { root } = startRoot(clock, { id: 'kiq', children: [{ id: 'queues', logic: queues, configurable: true }] });
      const queue = () => child(child(root, 'queues'), 'queue:default');

      root.send({ type: 'configure', quiet: true });
      expect(queue().getSnapshot().context.quiet).to.equal(true);

      const oldQueues = child(root, 'queues');
      queue().send({ type: 'boom' }); // maxRestarts 0: the nested supervisor escalates at once
      await advance(clock, 0);

      expect(child(root, 'queues')).to.not.equal(oldQueues);
      expect(child(root, 'queues').getSnapshot().context.config).to.deep.equal({ quiet: true });
      expect(queue().getSnapshot().context.quiet).to.equal(true);
      expect(inputs.at(-1)).to.deep.equal({ name: 'default', quiet: true });
      root.stop();
    });

    it('takes its initial config from its input', () => {
      const clock = new SimulatedClock();
      const inputs: WorkerInput[] = [];
      const { root } = startRoot(
        clock,
        { id: 'sup', children: [{ id: 'q', logic: worker([], 'graceful', inputs), input: { name: 'q' }, configurable: true }] },
        { quiet: true },
      );
      expect(inputs).to.deep.equal([{ name: 'q', quiet: true }]);
      root.stop();
    });
  });

  describe('nesting', () => {
    it('escalation in a nested supervisor restarts only that subtree at the parent level', async () => {
      const clock = new SimulatedClock();
      const log: string[] = [];
      const queues = createSupervisor({
        id: 'queues',
        maxRestarts: 1,
        now: () => clock.now(),
        children: [spec(log, 'fetcher'), spec(log, 'runner')],
      });
      const { root, errors } = startRoot(clock, {
        id: 'kiq',
        children: [spec(log, 'flusher'), { id: 'queues', logic: queues }, spec(log, 'reporter')],
      });
      const flusher = child(root, 'flusher');
      const reporter = child(root, 'reporter');
      const oldQueues = child(root, 'queues');

      child(oldQueues, 'fetcher').send({ type: 'boom' });
      log.length = 0;
      child(oldQueues, 'fetcher').send({ type: 'boom' }); // 2nd restart within 5 s > maxRestarts 1
      await advance(clock, 0);

      expect(oldQueues.getSnapshot().status).to.equal('error');
      expect(log).to.deep.equal(['shutdown runner', 'start fetcher', 'start runner']);
      expect(child(root, 'queues')).to.not.equal(oldQueues);
      expect(child(root, 'flusher')).to.equal(flusher);
      expect(child(root, 'reporter')).to.equal(reporter);
      const ctx = root.getSnapshot().context;
      expect(ctx.restartCount).to.deep.equal({ flusher: 0, queues: 1, reporter: 0 });
      const lastExit = ctx.lastExit;
      expect(lastExit?.id).to.equal('queues');
      expect(lastExit?.kind).to.equal('crashed');
      expect(lastExit?.kind === 'crashed' && lastExit.error).to.be.instanceOf(EscalationError);
      expect(lastExit?.kind === 'crashed' && (lastExit.error as Error).message).to.equal(
        'queues: reached max restart intensity (1 restarts in 5s); last exit: fetcher crashed: fetcher boom',
      );
      expect(root.getSnapshot().status).to.equal('active');
      expect(errors).to.deep.equal([]);
      root.stop();
    });

    it('a parent machine sees the failed supervisor as xstate.error.actor.<id>', async () => {
      const clock = new SimulatedClock();
      const inner = createSupervisor({ id: 'inner', maxRestarts: 0, now: () => clock.now(), children: [spec([], 'a')] });
      const seen: { type: string; error: unknown }[] = [];
      const parent = setup({ actors: { inner } }).createMachine({
        invoke: { src: 'inner', id: 'inner', onError: { actions: ({ event }) => seen.push({ type: event.type, error: event.error }) } },
      });
      const root = createActor(parent, { clock }).start();

      child(child(root, 'inner'), 'a').send({ type: 'boom' });
      await advance(clock, 0);

      expect(seen.map((e) => e.type)).to.deep.equal(['xstate.error.actor.inner']);
      expect(seen[0]!.error).to.be.instanceOf(EscalationError);
      root.stop();
    });
  });

  describe('model (xstate/graph)', () => {
    // Every event a running tree can deliver, offered in every reachable state: exits only for
    // children that exist, timers only in the state that set them, the self-sent error in `failed`.
    const sup = createSupervisor({
      id: 'sup',
      maxRestarts: 1,
      now: () => 0,
      children: [
        { id: 'a', logic: createMachine({}), shutdown: 100, configurable: true },
        { id: 't', logic: createMachine({}), restart: 'temporary', shutdown: 'brutal_kill' },
        { id: 'w', logic: createMachine({}), restart: 'transient' },
      ],
    });
    type Snapshot = ReturnType<typeof sup.getInitialSnapshot>;
    const timer = (type: string) => ({ type }) as unknown as SupervisorEvent;
    const events = (s: Snapshot): SupervisorEvent[] => {
      if (s.status !== 'active') return [];
      if (s.matches('failed')) return [{ type: 'xstate.error.actor.sup', error: new Error('escalated'), actorId: 'sup' }];
      return [
        { type: 'shutdown' },
        { type: 'configure', quiet: true },
        ...Object.keys(s.children).flatMap((id): SupervisorEvent[] => [
          { type: `xstate.error.actor.${id}`, error: new Error(`${id} boom`), actorId: id },
          { type: `xstate.done.actor.${id}`, output: undefined, actorId: id },
          { type: 'child.exited', id },
        ]),
        ...(s.matches({ shuttingDown: 'waiting' }) ? [timer('xstate.after.headShutdownTimeout.sup.shuttingDown.waiting')] : []),
        ...(s.matches('finishing') ? [timer('xstate.after.0.sup.finishing')] : []),
      ];
    };
    let states: Snapshot[] = [];
    before(() => {
      states = getShortestPaths(sup, {
        events,
        serializeState: (s) => {
          const { order, stopQueue, reason, restarts } = s.context;
          const why = reason === null || reason === 'normal' ? reason : 'escalation';
          return JSON.stringify([s.value, s.status, order, stopQueue, why, restarts.length]);
        },
      }).map((path) => path.state);
    });

    it('handles every child exit in every state: only the self-sent error in `failed` ends in status error', () => {
      expect(states.length).to.be.greaterThan(20);
      for (const s of states) if (s.status === 'error') expect(s.value).to.equal('failed');
      expect(states.some((s) => s.status === 'error')).to.equal(true);
    });

    it('keeps context.order equal to the children it owns (string sendTo targets always resolve)', () => {
      for (const s of states.filter((x) => x.status === 'active')) {
        expect(Object.keys(s.children).sort(), JSON.stringify(s.value)).to.deep.equal([...s.context.order].sort());
        for (const id of s.context.stopQueue) expect(s.context.order).to.include(id);
      }
    });

    it('completes only after a normal shutdown, and with no children left', () => {
      const done = states.filter((s) => s.status === 'done');
      expect(done).to.not.have.length(0);
      for (const s of done) {
        expect(s.value).to.equal('stopped');
        expect(s.output).to.deep.equal({ reason: 'normal' });
        expect(Object.keys(s.children)).to.deep.equal([]);
      }
      for (const s of states.filter((x) => x.matches('failed'))) expect(s.context.reason).to.match(/^sup: reached max restart intensity/);
    });
  });

  describe('createSupervisor options', () => {
    const now = () => 0;
    const logic = worker([]);
    it('rejects invalid options at creation, naming the field', () => {
      expect(() => createSupervisor({ id: 's', now, children: [{ id: 'a', logic }, { id: 'a', logic }] })).to.throw(
        TypeError,
        'createSupervisor(s): expected children[1].id to be unique among siblings, got: "a"',
      );
      expect(() => createSupervisor({ id: 's', now, children: [{ id: 'a', logic, shutdown: Infinity }] })).to.throw(
        TypeError,
        /expected children\[0\]\.shutdown to be 'brutal_kill' or an integer number of ms from 0 to 2147483647, got: Infinity$/,
      );
      expect(() => createSupervisor({ id: 's', now, children: [{ id: 'a', logic, configurable: true, input: 'x' as never }] })).to.throw(
        TypeError,
        /children\[0\]\.input to be an object/,
      );
      expect(() => createSupervisor({ id: 's', now, maxRestarts: -1, children: [] })).to.throw(TypeError, /maxRestarts/);
      expect(() => createSupervisor({ id: 's', children: [] } as unknown as SupervisorOptions)).to.throw(TypeError, /now/);
    });

    it('a supervisor without children stops at once on shutdown', async () => {
      const clock = new SimulatedClock();
      const { root } = startRoot(clock, { id: 'empty', children: [] });
      root.send({ type: 'shutdown' });
      await advance(clock, 0);
      expect(root.getSnapshot().output).to.deep.equal({ reason: 'normal' });
    });
  });
});
