import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { and, assign, initialTransition, not, setup, StateMachine, type AnyStateMachine, type AnyStateNode } from 'xstate';
import { fetcherMachine } from '../../machines/fetcher.js';
import { flusherMachine } from '../../machines/flusher.js';
import { queueMachine } from '../../machines/queue.js';
import { tickerMachine } from '../../machines/ticker.js';
import { exampleRoot, exampleTree, treePaths } from '../../src/diagrams/actor-tree.js';
import { checkDiagrams, generateDiagrams, REPO_ROOT, staleFiles } from '../../src/diagrams/index.js';
import { toMermaid } from '../../src/diagrams/mermaid.js';
import { DIAGRAMS, discoverDiagrams, exportKey } from '../../src/diagrams/registry.js';
import { MD_HEADER, MMD_HEADER } from '../../src/diagrams/render.js';

/** Every line of `text` is in it, in any order. */
function expectLines(text: string, lines: readonly string[]): void {
  const have = new Set(text.split('\n').map((l) => l.trim()));
  for (const line of lines) expect(have.has(line), `missing line: ${line}\n\n${text}`).to.equal(true);
}

const diagram = (name: string): AnyStateMachine => DIAGRAMS.find((d) => d.name === name)!.machine;

describe('Diagrams (npm run diagrams)', () => {
  describe('the Mermaid of each machine', () => {
    it('flusher: idle, flushing, backingOff, finalFlush, done; `enqueued`, the backoff timer, group commit', () => {
      const text = toMermaid(flusherMachine);
      expect(text.split('\n')[0]).to.equal('stateDiagram-v2');
      expectLines(text, [
        '[*] --> flusher_flushing',
        'state "idle #idle" as flusher_idle',
        'state "flushing #io" as flusher_flushing',
        'flusher_flushing : entry / clearNudged, startFlush',
        'state "backingOff #backoff" as flusher_backingOff',
        'state "finalFlush #io #stopping" as flusher_finalFlush',
        'state "done" as flusher_done',
        'flusher_done --> [*]',
        'flusher_idle --> flusher_flushing : enqueued',
        'flusher_idle --> flusher_finalFlush : shutdown',
        'flusher_flushing --> flusher_written : io.flushed [wasFailing] / recordWrite, reportRestored, recover',
        'flusher_flushing --> flusher_backingOff : io.failed / backOff, reportFailure',
        'flusher_written --> flusher_flushing : always [moreWaiting]',
        'flusher_backingOff --> flusher_flushing : after backoff',
        'flusher_backingOff --> flusher_flushing : redis.ready',
        'flusher_finalBackoff --> flusher_finalFlush : after backoff',
      ]);
    });

    it('ticker: waiting, ticking (invokes tick), ticked, done', () => {
      expectLines(toMermaid(tickerMachine), [
        'state "ticking ⟳ tick #io" as ticker_ticking',
        'ticker_waiting --> ticker_ticking : after delay',
        'ticker_waiting --> ticker_done : shutdown',
        'ticker_ticking --> ticker_ticked : done(tick) / scheduleNext',
        'ticker_ticking --> ticker_ticking : shutdown / markStopping',
        'ticker_ticked --> ticker_done : always [stopping]',
        'ticker_ticked --> ticker_waiting : always',
      ]);
    });

    it('fetcher: the demand loop, blocking, backoff, handlers of any state, tags in the labels', () => {
      expectLines(toMermaid(fetcherMachine), [
        'state "fetching #io" as fetcher_fetching',
        'fetcher_fetching : entry / startFetch',
        'state "blocking #io #blocking" as fetcher_blocking',
        'fetcher_blocking : entry / startBlock',
        'state "quiet #quiet #idle" as fetcher_quiet',
        'fetcher_deciding --> fetcher_fetching : always [hasDemand]',
        'fetcher_fetching --> fetcher_deciding : io.fetched [fetchedSome] / took',
        'fetcher_fetching --> fetcher_blocking : io.fetched [mayBlock]',
        'fetcher_blocking --> fetcher_following : io.blocked [fetchMore] / took',
        'fetcher_following --> fetcher_fetching : demand [freed] / addDemand',
        'fetcher_following --> fetcher_fetching : after follow',
        'fetcher_blocking --> fetcher_idle : io.blocked [filled] / took',
        'fetcher_blocking --> fetcher_deciding : io.blocked [fetchedSome] / took',
        'fetcher_backingOff --> fetcher_deciding : after backoff',
        'state "any state" as fetcher__any',
        'fetcher__any --> fetcher__any : demand / addDemand',
      ]);
    });

    it('queue: nested states of `active` (which invokes the fetcher), drain timer, requeue', () => {
      const text = toMermaid(queueMachine);
      expect(text).to.contain('  state "active ⟳ fetcher" as queue_active {\n    [*] --> queue_active_running\n');
      expectLines(text, [
        'queue_active_stoppingFetcher : entry / stopFetcher',
        'queue_fetcherCrashed : entry / countFetcherRestart',
        'state "requeuing ⟳ requeue #io #stopping" as queue_requeuing',
        'queue_active_running --> queue_active_stoppingFetcher : shutdown / releaseWaiting',
        'queue_active --> queue_draining : error(fetcher) [stoppingFetcher]',
        'queue_active --> queue_fetcherCrashed : error(fetcher)',
        'queue_fetcherCrashed --> queue_active : after restartDelay',
        'queue_draining --> queue_draining : after drainTimeout / abortRunning, markTimedOut',
        'queue_draining --> queue_requeuing : always [drained]',
        'queue_active_stoppingFetcher --> queue_active_stoppingFetcher : jobs (ignored)',
      ]);
    });

    it('supervisor: restart decisions with combined guards, ordered shutdown, clean failure', () => {
      expectLines(toMermaid(diagram('supervisor')), [
        'supervisor_running : entry / startChildren',
        'supervisor_running --> supervisor_shuttingDown : error(*) [and(wantsRestart, intensityExceeded)] / planEscalation',
        'supervisor_running --> supervisor_running : error(*) [wantsRestart] / restartChild',
        'supervisor_shuttingDown_next --> supervisor_shuttingDown_drained : always [isStopQueueEmpty]',
        'supervisor_shuttingDown_waiting --> supervisor_shuttingDown_next : after headShutdownTimeout / stopHead',
        'supervisor_shuttingDown --> supervisor_finishing : done',
        'supervisor_finishing --> supervisor_stopped : after 0 [isNormalStop]',
        'supervisor_failed : entry / failCleanly',
      ]);
    });

    it('draws parallel regions, root-level targets and not() guards', () => {
      const machine = setup({ guards: { ok: () => true } }).createMachine({
        id: 'demo',
        type: 'parallel',
        on: { reset: '.left.a' },
        states: {
          left: {
            initial: 'a',
            states: {
              a: { on: { go: { target: 'b', guard: not('ok') }, poke: { target: 'b', guard: ({ event }) => event.type.length > 3, actions: assign({}) } } },
              b: { always: { guard: and(['ok', 'ok']), target: 'a' } },
            },
          },
          right: { initial: 'x', states: { x: { type: 'final' } } },
        },
      });
      const text = toMermaid(machine);
      expect(text).to.contain('  [*] --> demo\n  state "demo" as demo {\n    state "left" as demo_left {\n');
      expect(text).to.contain('\n    --\n');
      expectLines(text, [
        'demo_left_a --> demo_left_b : go [not(ok)]',
        'demo_left_b --> demo_left_a : always [and(ok, ok)]',
        // inline guards and actions still draw, as an expression and as `assign` (machines/ names them all)
        'demo_left_a --> demo_left_b : poke [event.type.length > 3] / assign',
        'demo__any --> demo_left_a : reset',
        'demo_right_x --> [*]',
      ]);
    });

    it('every action and guard in machines/ is named in setup(): no inline assign or function in a state config', async () => {
      const inline: string[] = [];
      const check = (where: string, what: 'action' | 'guard', item: unknown): void => {
        if (typeof item === 'string' || (typeof item === 'object' && item !== null && 'type' in item)) return;
        // and/or/not of named guards are fine
        const combined = (item as { guards?: readonly unknown[] } | undefined)?.guards;
        if (what === 'guard' && Array.isArray(combined)) return combined.forEach((g) => check(where, what, g));
        inline.push(`${where}: inline ${what}`);
      };
      const list = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
      for (const { name, machine } of await discoverDiagrams(REPO_ROOT)) {
        const walk = (node: AnyStateNode): void => {
          const where = `${name}: ${node.path.join('.') || '(root)'}`;
          for (const action of [...list(node.config.entry), ...list(node.config.exit)]) check(where, 'action', action);
          const transitions = [...[...node.transitions.values()].flat(), ...(node.always ?? [])] as { eventType: string; guard?: unknown; actions: readonly unknown[] }[];
          for (const t of transitions) {
            if (t.guard !== undefined) check(`${where} ${t.eventType}`, 'guard', t.guard);
            for (const action of t.actions) check(`${where} ${t.eventType}`, 'action', action);
          }
          for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
        };
        walk(machine.root);
      }
      expect(inline).to.deep.equal([]);
    });

    it('is the same text for the same structure, whatever the machine id (given one prefix)', () => {
      expect(toMermaid(exampleRoot(), { idPrefix: 'm' })).to.equal(toMermaid(diagram('supervisor'), { idPrefix: 'm' }));
    });
  });

  describe('the generated files', () => {
    it('cover every state machine exported from machines/ (a new one such as reporter is picked up)', async () => {
      const specs = await discoverDiagrams(REPO_ROOT);
      const covered = new Set(specs.flatMap((s) => (s.exportName ? [exportKey(s.source, s.exportName)] : [])));
      const dir = join(REPO_ROOT, 'machines');
      for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort()) {
        const exports = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
        for (const [name, value] of Object.entries(exports)) {
          if (value instanceof StateMachine) expect(covered.has(exportKey(`machines/${file}`, name)), `machines/${file} ${name}`).to.equal(true);
        }
      }
      expect(specs.map((s) => s.name)).to.include.members(['flusher', 'ticker', 'fetcher', 'queue', 'supervisor']);
      if ((await readdir(dir)).includes('reporter.ts')) expect(specs.map((s) => s.source)).to.include('machines/reporter.ts');
      expect(new Set(specs.map((s) => s.name)).size).to.equal(specs.length);
    });

    it('each start with the "generated, do not edit" line, and come out the same twice', async () => {
      const files = await generateDiagrams();
      for (const [path, text] of files) expect(text.split('\n')[0], path).to.equal(path.endsWith('.md') ? MD_HEADER : MMD_HEADER);
      expect([...(await generateDiagrams())]).to.deep.equal([...files]);
    });

    it('index.md embeds every diagram and lists the actor tree buildTree builds', async () => {
      const specs = await discoverDiagrams(REPO_ROOT);
      const index = (await generateDiagrams()).get('diagrams/index.md')!;
      expect(index.match(/^```mermaid$/gm)).to.have.length(specs.length);
      for (const spec of specs) expect(index).to.contain(`### ${spec.name}\n`);
      // the root's children, straight from the supervisor's initial context
      const [snapshot] = initialTransition(exampleRoot(), { quiet: false });
      const order = (snapshot.context as { order: string[] }).order;
      expect(order).to.include.members(['flusher', 'queue:default', 'queue:mailers']);
      for (const id of order) expect(index).to.match(new RegExp(`^  - \`${id}\` — `, 'm'));
      expect(treePaths(exampleTree())).to.include.members(['kiq/queue:default/fetcher', 'kiq/queue:mailers/fetcher']);
      expect(index).to.match(/^ {4}- `fetcher` — \[fetcher\]\(#fetcher\)/m);
    });

    it('staleFiles names missing, changed and obsolete files', () => {
      const generated = new Map([
        ['diagrams/a.mmd', 'A'],
        ['diagrams/b.mmd', 'B'],
        ['diagrams/c.mmd', 'C'],
      ]);
      const onDisk = new Map([
        ['diagrams/a.mmd', 'A'],
        ['diagrams/b.mmd', 'B (edited)'],
        ['diagrams/old.mmd', 'O'],
      ]);
      expect(staleFiles(generated, onDisk)).to.deep.equal([
        { path: 'diagrams/b.mmd', reason: 'differs' },
        { path: 'diagrams/c.mmd', reason: 'missing' },
        { path: 'diagrams/old.mmd', reason: 'obsolete' },
      ]);
    });

    it('are committed as the code generates them (npm run diagrams:check passes)', async () => {
      const stale = await checkDiagrams();
      expect(stale, 'run npm run diagrams').to.deep.equal([]);
    });
  });
});

describe('diagrams/README.md (written by hand)', () => {
  const text = readFileSync(join(REPO_ROOT, 'diagrams/README.md'), 'utf8');

  it('names only files that exist', () => {
    const paths = [...text.matchAll(/`((?:src|machines|test|docs)\/[\w./-]+\.(?:ts|lua|md))`/g)].map((m) => m[1]!);
    expect(paths.length).to.be.above(20);
    const missing = paths.filter((path) => !existsSync(join(REPO_ROOT, path)));
    expect(missing, 'files named in diagrams/README.md').to.deep.equal([]);
  });

  it('names functions in the files it says hold them ("`name` (`file`)")', () => {
    const pairs = [...text.matchAll(/`(\w+)`\s+\(`((?:src|machines)\/[\w./-]+\.ts)`\)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(pairs.length).to.be.above(5);
    const wrong = pairs.filter(([name, path]) => existsSync(join(REPO_ROOT, path)) && !new RegExp(`\\b${name}\\b`).test(readFileSync(join(REPO_ROOT, path), 'utf8')));
    expect(wrong.map(([name, path]) => `${name} in ${path}`)).to.deep.equal([]);
  });
});
