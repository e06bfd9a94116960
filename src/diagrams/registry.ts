/**
 * @internal
 * Which machines get a diagram. To add one, append an entry to
 * {@link DIAGRAMS}; a machine exported from a `machines/*.ts` file that no
 * entry covers is picked up anyway by {@link discoverDiagrams} (named by
 * its machine id), so a new chart such as `machines/reporter.ts` gets a
 * diagram on the next `npm run diagrams` without touching this list.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromPromise, StateMachine, type AnyStateMachine } from 'xstate';
import { fetcherMachine } from '../../machines/fetcher.js';
import { flusherMachine } from '../../machines/flusher.js';
import { queueMachine } from '../../machines/queue.js';
import { createSupervisor } from '../../machines/supervisor.js';
import { tickerMachine } from '../../machines/ticker.js';

/** One generated diagram: `diagrams/<name>.mmd`. */
export interface DiagramSpec {
  /** File name without `.mmd`; also the heading (and anchor) in `diagrams/index.md`. */
  readonly name: string;
  /** The file the machine is defined in, relative to the repository root. */
  readonly source: string;
  /** The export of `source` that is `machine` (absent for an example built from a factory). */
  readonly exportName?: string;
  readonly machine: AnyStateMachine;
}

/** The supervisor is a factory: its chart does not depend on the children, this example has two. */
const exampleSupervisor = createSupervisor({
  id: 'supervisor',
  children: [
    { id: 'first', logic: fromPromise(async () => undefined) },
    { id: 'second', logic: fromPromise(async () => undefined), restart: 'transient', shutdown: 'brutal_kill' },
  ],
  now: () => 0,
});

/** The diagrams, in the order `diagrams/index.md` shows them. */
export const DIAGRAMS: readonly DiagramSpec[] = [
  { name: 'supervisor', source: 'machines/supervisor.ts', machine: exampleSupervisor },
  { name: 'flusher', source: 'machines/flusher.ts', exportName: 'flusherMachine', machine: flusherMachine },
  { name: 'ticker', source: 'machines/ticker.ts', exportName: 'tickerMachine', machine: tickerMachine },
  { name: 'queue', source: 'machines/queue.ts', exportName: 'queueMachine', machine: queueMachine },
  { name: 'fetcher', source: 'machines/fetcher.ts', exportName: 'fetcherMachine', machine: fetcherMachine },
];

/** `machines/flusher.ts#flusherMachine`: an export, by file and name (module instances may differ between loaders). */
export const exportKey = (source: string, exportName: string): string => `${source.replace(/\.js$/, '.ts')}#${exportName}`;

/**
 * {@link DIAGRAMS} plus every state machine exported from `machines/*.ts`
 * (files in name order) that no entry covers, named by its machine id.
 */
export async function discoverDiagrams(repoRoot: string): Promise<DiagramSpec[]> {
  const specs = [...DIAGRAMS];
  const known = new Set(specs.flatMap((s) => (s.exportName ? [exportKey(s.source, s.exportName)] : [])));
  const names = new Set(specs.map((s) => s.name));
  const dir = join(repoRoot, 'machines');
  const files = (await readdir(dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  for (const file of files) {
    const exports = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const key of Object.keys(exports).sort()) {
      const value = exports[key];
      const source = `machines/${file}`;
      if (!(value instanceof StateMachine) || known.has(exportKey(source, key))) continue;
      known.add(exportKey(source, key));
      let name = value.id;
      for (let n = 2; names.has(name); n++) name = `${value.id}-${n}`;
      names.add(name);
      specs.push({ name, source, exportName: key, machine: value });
    }
  }
  return specs;
}
