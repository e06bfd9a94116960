/**
 * The Flusher's `flush` actor on the awaited single-enqueue path (issue 14):
 * one call writes batch after batch while jobs keep coming, ends when the
 * actor is stopped, survives an outage in the middle, and small batches of
 * one queue go out as one `push-jobs.lua` call. Real Redis; the sink, the
 * buffer and the Flusher machine are the ones Kiq runs.
 */
import { expect } from 'chai';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { flusherMachine, type FlusherEmitted } from '../../machines/flusher.js';
import { FLUSHER_ID } from '../../src/actor-ids.js';
import type { BufferEntry, PushOutcome } from '../../src/client/entry.js';
import { RedisSink } from '../../src/client/redis-sink.js';
import { systemClock } from '../../src/clock.js';
import type { ResolvedConfig } from '../../src/config/options.js';
import { ScriptError } from '../../src/errors.js';
import { KiqEmitter, type KiqEvents } from '../../src/events.js';
import { ConnectionPool } from '../../src/redis/connections.js';
import { QUEUES, queueKey } from '../../src/redis/keys.js';
import { silent } from '../support/logger.js';
import { useRedis } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/wait.js';

const QUEUE = 'loop';

/** A RedisSink on `url` with a Flusher of its own, as Kiq wires them (src/tree.ts, src/kiq.ts). */
async function rig(url: string) {
  const events = new KiqEmitter(silent());
  const seen: { [E in keyof KiqEvents]?: unknown[] } = {};
  for (const name of ['push.outage', 'push.restored', 'error'] as const) {
    events.on(name, (payload: unknown) => void (seen[name] ??= []).push(payload));
  }
  const config = { bufferLimit: 100_000, clock: systemClock, timestamps: 'seconds', spool: undefined } as unknown as ResolvedConfig;
  const sink = new RedisSink({ config: () => config, events, log: () => {} });
  const pool = new ConnectionPool({ url, options: {} }, 1, 'test');
  await pool.connect();
  const logic = sink.flushLogic(pool);
  const emitted: FlusherEmitted[] = [];
  let invocations = 0;
  /** Writes on the pool's connection and the Flusher's `enqueued` steps, in the order they happened. */
  const order: string[] = [];
  const connection = pool.next();
  const send = connection.sendCommand.bind(connection);
  connection.sendCommand = ((command: { name: string }, stream?: unknown) => {
    order.push(`write ${command.name}`);
    return send(command as never, stream as never);
  }) as typeof connection.sendCommand;
  const inspect = (event: InspectionEvent) => {
    if (event.type === '@xstate.event' && event.event.type === 'enqueued') order.push('enqueued');
    // one flush call: one `flush` command to the Flusher's io actor
    if (event.type === '@xstate.event' && event.event.type === 'flush') invocations += 1;
  };
  /** Start a Flusher incarnation (a supervisor's restart starts another one). */
  const start = () => {
    const actor = createActor(flusherMachine.provide({ actors: { io: logic as never } }), {
      input: { interval: 10, maxInterval: 50 },
      systemId: FLUSHER_ID,
      inspect,
    });
    actor.on('*', (event) => emitted.push(event as FlusherEmitted));
    sink.attach(actor);
    actor.start();
    return actor;
  };
  let seq = 0;
  /** Add a job to the buffer; with `confirm`, resolves once Redis has it. */
  const add = (confirm: boolean): Promise<PushOutcome> | undefined => {
    const n = seq++;
    const entry = (confirmation?: BufferEntry['confirm']) => (s: number): BufferEntry => ({
      seq: s,
      jid: `j${n}`,
      queue: QUEUE,
      json: JSON.stringify({ class: 'W', jid: `j${n}`, args: [n], queue: QUEUE }),
      atSec: undefined,
      lockKey: undefined,
      lockTtlMs: undefined,
      confirm: confirmation,
      arrivedMs: 0,
    });
    if (!confirm) {
      sink.buffer.add(entry());
      return undefined;
    }
    return new Promise<PushOutcome>((resolve, reject) => sink.buffer.add(entry({ resolve, reject })));
  };
  return {
    sink,
    pool,
    start,
    add,
    seen,
    emitted,
    invocations: () => invocations,
    order,
    close: () => pool.close(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
/** Wait for `ok` (the shared helper, polling every 5 ms for up to 5 s). */
const waitFor = (what: string, ok: () => boolean | Promise<boolean>) => until(ok, 5_000, what, 5);

describe('Flush actor: awaited single enqueues', function () {
  this.timeout(20_000);
  const redis = useRedis();
  let r: Awaited<ReturnType<typeof rig>> | undefined;
  let actor: Actor<typeof flusherMachine> | undefined;
  afterEach(async () => {
    actor?.stop();
    actor = undefined;
    await r?.close();
    r = undefined;
  });

  it('writes consecutive awaited jobs from one flush call: the Flusher stays in flushing, no new actor per job', async () => {
    r = await rig(redis.url);
    actor = r.start();
    await waitFor('the first call to end', () => actor!.getSnapshot().matches('idle'));
    const before = r.invocations();
    const states = new Set<string>();
    const sub = actor.subscribe((snapshot) => states.add(String(snapshot.value)));
    for (let i = 0; i < 50; i++) expect((await r.add(true))!.status).to.equal('enqueued');
    expect(actor.getSnapshot().value, 'still in the call that wrote them').to.equal('flushing');
    sub.unsubscribe();
    // one call for the 50 writes (and perhaps one more for a nudge that raced its end)
    expect(r.invocations() - before).to.be.at.most(2);
    expect([...states]).to.deep.equal(['flushing']);
    await waitFor('idle again', () => actor!.getSnapshot().matches('idle'));
    expect(actor.getSnapshot().context.written, 'every write counted in the output').to.equal(50);
    expect(await redis.client.llen(queueKey(QUEUE))).to.equal(50);
  });

  it('a job enqueued into an idle Flusher is written before the Flusher takes its `enqueued` step, which comes after the reply and asks for that call', async () => {
    r = await rig(redis.url);
    actor = r.start();
    await waitFor('the first call to end', () => actor!.getSnapshot().matches('idle'));
    r.order.length = 0;
    const before = r.invocations();
    const confirmed = r.add(true)!;
    expect(r.order, 'the write left, no step yet').to.deep.equal(['write evalsha']);
    expect((await confirmed).status).to.equal('enqueued');
    await waitFor('the step', () => r!.order.includes('enqueued'));
    expect(r.order).to.deep.equal(['write evalsha', 'enqueued']);
    await waitFor('idle again', () => actor!.getSnapshot().matches('idle'));
    expect(r.invocations() - before, 'the step took over the call already running').to.equal(1);
    expect(r.order.filter((o) => o.startsWith('write')), 'one write').to.have.length(1);
    expect(actor.getSnapshot().context.written).to.equal(1);
    expect(await redis.client.llen(queueKey(QUEUE))).to.equal(1);
  });

  it('an orphaned call (its Flusher stopped) writes nothing after its in-flight write', async () => {
    r = await rig(redis.url);
    actor = r.start();
    await waitFor('the first call to end', () => actor!.getSnapshot().matches('idle'));
    let confirmed = 0;
    for (; confirmed < 20; confirmed++) await r.add(true);
    // the loop is running (lingering or writing); stop the Flusher as a supervisor would
    const stopped = actor;
    actor = undefined;
    stopped.stop();
    for (let i = 0; i < 10; i++) r.add(false);
    for (let i = 0; i < 20; i++) await tick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await redis.client.llen(queueKey(QUEUE))).to.equal(confirmed);
    expect(r.sink.buffer.pending, 'the jobs added after the stop wait for the next incarnation').to.equal(10);
    // the next incarnation writes them, each once
    actor = r.start();
    await waitFor('the new incarnation to write them', async () => (await redis.client.llen(queueKey(QUEUE))) === confirmed + 10);
    const jids = (await redis.client.lrange(queueKey(QUEUE), 0, -1)).map((raw) => JSON.parse(raw).jid as string);
    expect(new Set(jids).size).to.equal(jids.length);
  });

  it('an outage in the middle of a loop: the job goes back to the buffer, flusher.failed, then restored', async () => {
    const target = new URL(redis.url);
    const proxy = await TcpProxy.start(Number(target.port));
    try {
      r = await rig(`${proxy.url}${target.pathname}`);
      actor = r.start();
      await waitFor('the first call to end', () => actor!.getSnapshot().matches('idle'));
      for (let i = 0; i < 10; i++) await r.add(true);
      proxy.drop();
      const late = r.add(true)!;
      await waitFor('flusher.failed', () => r!.emitted.some((e) => e.type === 'flusher.failed'));
      expect(r.seen['push.outage'], 'push.outage once').to.have.length(1);
      expect(r.sink.buffer.pending, 'the job is back in the buffer').to.equal(1);
      expect(actor.getSnapshot().value).to.equal('backingOff');
      proxy.heal();
      expect((await late).status).to.equal('enqueued');
      await waitFor('flusher.restored', () => r!.emitted.some((e) => e.type === 'flusher.restored'));
      expect(r.seen['push.restored']).to.have.length(1);
      for (let i = 0; i < 5; i++) await r.add(true);
      expect(await redis.client.llen(queueKey(QUEUE))).to.equal(16);
      await waitFor('idle again', () => actor!.getSnapshot().matches('idle'));
      expect(actor.getSnapshot().context.written).to.equal(16);
    } finally {
      actor?.stop();
      actor = undefined;
      await r?.close();
      r = undefined;
      await proxy.close();
    }
  });

  it('a small batch of one queue is one call: it registers the queue, and a WRONGTYPE refuses and reports its jobs', async () => {
    r = await rig(redis.url);
    actor = r.start();
    await waitFor('the first call to end', () => actor!.getSnapshot().matches('idle'));
    const monitor = await redis.client.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(String(args[0]).toLowerCase()));
    try {
      expect((await r.add(true))!.status).to.equal('enqueued');
      expect(await redis.client.sismember(QUEUES, QUEUE)).to.equal(1);
      await waitFor('the monitor to see it', () => commands.includes('lpush'));
      // one script call (EVALSHA, or EVAL after NOSCRIPT) running SADD + LPUSH; a pipeline would send SADD and LPUSH alone
      const pushed = commands.filter((c) => ['eval', 'evalsha', 'sadd', 'lpush'].includes(c));
      expect(pushed[0]).to.match(/^eval/);
      expect(pushed.filter((c) => !c.startsWith('eval'))).to.deep.equal(['sadd', 'lpush']);

      await redis.client.del(queueKey(QUEUE));
      await redis.client.set(queueKey(QUEUE), 'not a list');
      const refused = await r.add(true)!.catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(ScriptError);
      expect((refused as ScriptError).script, 'refused by the one-command path').to.equal('push-jobs');
      expect(r.seen.error, 'reported through the error event').to.have.length(1);
      expect(r.sink.buffer.size, 'refused jobs do not come back').to.equal(0);
    } finally {
      monitor.disconnect();
    }
  });
});
