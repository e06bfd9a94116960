import { expect } from 'chai';
import { createActor, fromPromise, waitFor, type AnyActorRef, type InspectionEvent } from 'xstate';
import { createSupervisor } from '../../machines/supervisor.js';
import { tickerMachine } from '../../machines/ticker.js';
import { attachInspector, liveActors } from '../../src/inspect/index.js';

/** A ticker whose tick answers at once and waits an hour before the next. */
const ticker = tickerMachine.provide({ actors: { tick: fromPromise(async () => ({ nextDelay: 3_600_000 })) } });
const tickerInput = { firstDelay: 3_600_000, retryDelay: 1000 };

/** kiq → (one, inner → (two, three)): a nested supervisor, as the reporters will be. */
function smallTree() {
  const inner = createSupervisor({
    id: 'inner',
    now: () => 0,
    children: [
      { id: 'two', systemId: 'two', logic: ticker, input: tickerInput },
      { id: 'three', logic: ticker, input: tickerInput },
    ],
  });
  return createSupervisor({
    id: 'kiq',
    now: () => 0,
    children: [
      { id: 'one', systemId: 'one', logic: ticker, input: tickerInput },
      { id: 'inner', logic: inner },
    ],
  });
}

const actorEvents = (events: InspectionEvent[]) => events.filter((e) => e.type === '@xstate.actor');
const pathOf = (ref: AnyActorRef): string => (ref._parent ? `${pathOf(ref._parent)}/${ref.id}` : ref.id);

describe('attachInspector (late attach, re-announced actors)', () => {
  let root: ReturnType<typeof createActor<ReturnType<typeof smallTree>>>;
  afterEach(() => root?.stop());

  it('re-announces every live actor, parents first in start order, before any live event', () => {
    root = createActor(smallTree(), { id: 'kiq' }).start();
    const seen: InspectionEvent[] = [];
    const sub = attachInspector(root, (event) => seen.push(event));
    expect(seen.map((e) => e.type)).to.deep.equal(Array(5).fill('@xstate.actor'));
    expect(seen.map((e) => pathOf(e.actorRef as AnyActorRef))).to.deep.equal(['kiq', 'kiq/one', 'kiq/inner', 'kiq/inner/two', 'kiq/inner/three']);
    expect(seen.every((e) => e.rootId === root.sessionId)).to.equal(true);

    root.send({ type: 'configure', quiet: true });
    expect(seen.length).to.be.greaterThan(5);
    expect(seen[5]!.type).to.equal('@xstate.event');
    sub.unsubscribe();
  });

  it("emits events shaped exactly like xstate's own @xstate.actor", () => {
    const native: InspectionEvent[] = [];
    root = createActor(smallTree(), { id: 'kiq', inspect: (e) => native.push(e) }).start();
    const replayed: InspectionEvent[] = [];
    attachInspector(root, { next: (e) => replayed.push(e) }).unsubscribe();

    const byRef = new Map(actorEvents(native).map((e) => [e.actorRef, e]));
    expect(replayed).to.have.length(byRef.size);
    for (const event of replayed) {
      const original = byRef.get(event.actorRef);
      expect(original, pathOf(event.actorRef as AnyActorRef)).to.not.equal(undefined);
      expect(Object.keys(event).sort()).to.deep.equal(Object.keys(original!).sort());
      expect(event).to.deep.equal(original);
    }
  });

  it('leaves out stopped actors and passes on the creation of new ones', async () => {
    root = createActor(smallTree(), { id: 'kiq' }).start();
    const inner = (root.getSnapshot().children as Record<string, AnyActorRef>).inner!;
    // the nested supervisor restarts a crashed child: a new `two` is created
    const seen: InspectionEvent[] = [];
    const sub = attachInspector(root, (event) => seen.push(event));
    const announced = seen.length;
    const two = (inner.getSnapshot().children as Record<string, AnyActorRef>).two!;
    inner.send({ type: 'xstate.error.actor.two', error: new Error('boom'), actorId: 'two' } as never);
    const created = actorEvents(seen.slice(announced));
    expect(created.map((e) => pathOf(e.actorRef as AnyActorRef))).to.deep.equal(['kiq/inner/two']);
    expect(created[0]!.actorRef).to.not.equal(two);
    sub.unsubscribe();

    // a restarted child moves to the end of its parent's snapshot.children
    expect(liveActors(root).map(pathOf)).to.deep.equal(['kiq', 'kiq/one', 'kiq/inner', 'kiq/inner/three', 'kiq/inner/two']);
    root.send({ type: 'shutdown' });
    await waitFor(root, (snapshot) => snapshot.status === 'done', { timeout: 2000 });
    expect(liveActors(root)).to.deep.equal([]);
  });

  it('holds back events caused while re-announcing and delivers them afterwards, in order', () => {
    root = createActor(smallTree(), { id: 'kiq' }).start();
    const seen: string[] = [];
    attachInspector(root, (event) => {
      seen.push(`${event.type} ${pathOf(event.actorRef as AnyActorRef)}`);
      // an observer that acts on the tree while it is being announced
      if (event.type === '@xstate.actor' && event.actorRef === root) root.send({ type: 'configure', quiet: true });
    });
    const firstLive = seen.findIndex((line) => !line.startsWith('@xstate.actor'));
    expect(firstLive).to.equal(5);
    expect(seen[5]).to.equal('@xstate.event kiq');
  });

  it('stops delivering after unsubscribe (twice is harmless), and unsubscribes an observer that throws', () => {
    root = createActor(smallTree(), { id: 'kiq' }).start();
    const seen: InspectionEvent[] = [];
    const sub = attachInspector(root, (event) => seen.push(event));
    sub.unsubscribe();
    sub.unsubscribe();
    const count = seen.length;
    root.send({ type: 'configure', quiet: true });
    expect(seen.length).to.equal(count);

    let calls = 0;
    expect(() =>
      attachInspector(root, () => {
        calls += 1;
        throw new Error('observer bug');
      }),
    ).to.throw('observer bug');
    root.send({ type: 'configure', quiet: false });
    expect(calls).to.equal(1);
  });
});
