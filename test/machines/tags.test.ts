import { expect } from 'chai';
import { createActor, fromPromise, SimulatedClock, StateMachine, type AnyStateMachine, type AnyStateNode } from 'xstate';
import { fetcherMachine } from '../../machines/fetcher.js';
import { queueMachine } from '../../machines/queue.js';
import { queueView } from '../../machines/queue-view.js';
import { hasTag, IO_COMMAND_ACTIONS, Tag, TAGS } from '../../machines/tags.js';
import { discoverDiagrams } from '../../src/diagrams/registry.js';
import { REPO_ROOT } from '../../src/diagrams/index.js';
import { advance, fakeIO, settle } from '../support/fake-io.js';
import { fetcherIO } from '../../machines/fetcher-io.js';
import type { BlockInput, FetchInput } from '../../machines/fetcher.js';
import type { RawJob } from '../../src/job/raw.js';

/** Every state node of `machine`, depth first, with its dotted path. */
function statesOf(machine: AnyStateMachine): AnyStateNode[] {
  const all: AnyStateNode[] = [];
  const walk = (node: AnyStateNode): void => {
    for (const child of Object.values(node.states) as AnyStateNode[]) {
      all.push(child);
      walk(child);
    }
  };
  walk(machine.root);
  return all;
}

/**
 * Whether `node` makes an IO call: it invokes a promise actor (as opposed to a
 * child statechart), or its entry asks a long-lived `io` actor for one call
 * (IO_COMMAND_ACTIONS: the fetcher's and the flusher's).
 */
function invokesIO(machine: AnyStateMachine, node: AnyStateNode): boolean {
  const actors = (machine.implementations.actors ?? {}) as Record<string, unknown>;
  const invokes = (node.invoke as { src: unknown }[]).some((invoke) => {
    const logic = typeof invoke.src === 'string' ? actors[invoke.src] : invoke.src;
    return !(logic instanceof StateMachine);
  });
  const commands = (node.entry as unknown[]).some((action) => {
    const type = typeof action === 'string' ? action : (action as { type?: unknown }).type;
    return typeof type === 'string' && IO_COMMAND_ACTIONS.includes(type);
  });
  return invokes || commands;
}

describe('State tags (machines/tags.ts)', () => {
  it('are the documented vocabulary, one constant per name', () => {
    expect(TAGS).to.deep.equal(['io', 'blocking', 'backoff', 'idle', 'quiet', 'stopping', 'leader']);
    for (const tag of TAGS) expect(Tag[tag]).to.equal(tag);
  });

  it('io is on exactly the states that make an IO call (invoke a promise actor, or command a long-lived io actor), in every machine; blocking only with io; none on final or transient states', async () => {
    const specs = await discoverDiagrams(REPO_ROOT);
    expect(specs.map((s) => s.name)).to.include.members(['supervisor', 'flusher', 'ticker', 'queue', 'fetcher', 'reporter', 'senator']);
    for (const { name, machine } of specs) {
      for (const node of statesOf(machine)) {
        const where = `${name}: ${node.path.join('.')}`;
        const tags = node.tags as string[];
        for (const tag of tags) expect(TAGS, where).to.include(tag);
        expect(tags.includes(Tag.io), where).to.equal(invokesIO(machine, node));
        if (tags.includes(Tag.blocking)) expect(tags, where).to.include(Tag.io);
        const transient = node.always !== undefined && node.always.length > 0 && node.transitions.size === 0 && node.after.length === 0;
        if (node.type === 'final' || (transient && node.type === 'atomic')) expect(tags, where).to.deep.equal([]);
      }
    }
  });

  it('hasTag answers false for anything that is not a machine snapshot', () => {
    expect(hasTag(undefined, Tag.io)).to.equal(false);
    expect(hasTag(null, Tag.io)).to.equal(false);
    expect(hasTag({ status: 'active', value: 'fetching' }, Tag.io)).to.equal(false);
    expect(hasTag(createActor(fromPromise(async () => 1)).getSnapshot(), Tag.io)).to.equal(false);
  });

  it('a live queue: queueView shows its counts and its fetcher, whose tags follow the IO (fetching → blocking → backoff)', async () => {
    const clock = new SimulatedClock();
    const fetch = fakeIO<FetchInput, readonly RawJob[]>(clock, 'fetch');
    const block = fakeIO<BlockInput, readonly RawJob[]>(clock, 'block');
    const logic = queueMachine.provide({
      actors: { fetcher: fetcherMachine.provide({ actors: { io: fetcherIO({ fetch: fetch.call, block: block.call }) } }), requeue: fromPromise(async () => 0) },
      actions: { startJobs: () => {}, abortRunning: () => {}, releaseWaiting: () => {} },
    });
    const queue = createActor(logic, {
      clock,
      input: { name: 'default', limit: 2, drainTimeout: 100, blockMs: 1000, backoffMs: 10, maxBackoffMs: 100, restartDelay: 5 },
    }).start();
    const view = () => queueView(queue)!;
    expect(view()).to.include({ name: 'default', running: 0, limit: 2, quiet: false });
    expect(hasTag(view().fetcher, Tag.io)).to.equal(true);
    expect(hasTag(view().fetcher, Tag.blocking)).to.equal(false);

    fetch.last().resolve(['a']);
    await settle();
    expect(view().running).to.equal(1);
    expect(hasTag(view().fetcher, Tag.io)).to.equal(true);

    fetch.last().resolve([]);
    await settle();
    expect(hasTag(view().fetcher, Tag.blocking)).to.equal(true);

    block.last().reject(new Error('ECONNRESET'));
    await settle();
    expect(hasTag(view().fetcher, Tag.backoff)).to.equal(true);
    expect(hasTag(view().fetcher, Tag.io)).to.equal(false);

    queue.send({ type: 'configure', quiet: true });
    await advance(clock, 10);
    expect(view().quiet).to.equal(true);
    expect(hasTag(view().fetcher, Tag.quiet)).to.equal(true);
    expect(hasTag(view().fetcher, Tag.idle)).to.equal(true);

    queue.send({ type: 'shutdown' });
    await settle();
    expect(hasTag(queue.getSnapshot(), Tag.stopping)).to.equal(true);
    expect(view().fetcher).to.equal(undefined);
    queue.stop();
    expect(queueView(queue)).to.equal(undefined);
    expect(queueView(undefined)).to.equal(undefined);
  });
});
