/**
 * @internal
 * Generates `diagrams/`: one Mermaid chart per machine (registry.ts) and
 * `index.md` (the actor tree and every chart). Generation is pure and
 * deterministic — same code, same bytes — so `checkDiagrams` can compare
 * the committed files with a fresh run in memory.
 * `diagrams/README.md` is written by hand and left alone.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_OPTIONS, exampleTree } from './actor-tree.js';
import { discoverDiagrams } from './registry.js';
import { MD_HEADER, MMD_HEADER, renderIndex, renderMmd } from './render.js';

/** The repository root (this file is `src/diagrams/index.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Generated files by path relative to the repository root (`diagrams/flusher.mmd`, …), in a stable order. */
export async function generateDiagrams(repoRoot: string = REPO_ROOT): Promise<Map<string, string>> {
  const specs = await discoverDiagrams(repoRoot);
  const sources = new Map<string, string>();
  for (const spec of specs) sources.set(spec.source, await readFile(join(repoRoot, spec.source), 'utf8').catch(() => ''));
  const files = new Map<string, string>();
  for (const spec of specs) files.set(`diagrams/${spec.name}.mmd`, renderMmd(spec));
  files.set('diagrams/index.md', renderIndex({ specs, tree: exampleTree(), exampleConfig: literal(EXAMPLE_OPTIONS), sources }));
  return files;
}

/** `{ queues: { default: 2 } }`: plain data (identifier keys, numbers, strings) as a TS literal. */
function literal(value: unknown): string {
  return JSON.stringify(value)
    .replace(/"(\w+)":/g, '$1: ')
    .replace(/,/g, ', ')
    .replace(/\{/g, '{ ')
    .replace(/\}/g, ' }');
}

/** A generated file on disk that differs from what the code generates now. */
export interface StaleFile {
  /** Path relative to the repository root. */
  readonly path: string;
  readonly reason: 'missing' | 'differs' | 'obsolete';
}

/** The generated files now in `diagrams/` (those starting with a header line), by path. */
export async function readGenerated(repoRoot: string = REPO_ROOT): Promise<Map<string, string>> {
  const dir = join(repoRoot, 'diagrams');
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = new Map<string, string>();
  for (const name of names.sort()) {
    if (!name.endsWith('.mmd') && !name.endsWith('.md')) continue;
    const text = await readFile(join(dir, name), 'utf8');
    if (text.startsWith(MMD_HEADER) || text.startsWith(MD_HEADER)) found.set(`diagrams/${name}`, text);
  }
  return found;
}

/** What differs between freshly `generated` files and the generated files `onDisk`. */
export function staleFiles(generated: ReadonlyMap<string, string>, onDisk: ReadonlyMap<string, string>): StaleFile[] {
  const stale: StaleFile[] = [];
  for (const [path, text] of generated) {
    const current = onDisk.get(path);
    if (current === undefined) stale.push({ path, reason: 'missing' });
    else if (current !== text) stale.push({ path, reason: 'differs' });
  }
  for (const path of onDisk.keys()) if (!generated.has(path)) stale.push({ path, reason: 'obsolete' });
  return stale;
}

/** Compare `diagrams/` with a fresh generation; an empty list means up to date. */
export async function checkDiagrams(repoRoot: string = REPO_ROOT): Promise<StaleFile[]> {
  return staleFiles(await generateDiagrams(repoRoot), await readGenerated(repoRoot));
}

/** Write every generated file that changed and delete generated files no longer produced; returns the paths touched. */
export async function writeDiagrams(repoRoot: string = REPO_ROOT): Promise<string[]> {
  const generated = await generateDiagrams(repoRoot);
  await mkdir(join(repoRoot, 'diagrams'), { recursive: true });
  const touched: string[] = [];
  for (const { path, reason } of staleFiles(generated, await readGenerated(repoRoot))) {
    const text = generated.get(path);
    if (reason === 'obsolete' || text === undefined) {
      await rm(join(repoRoot, path));
      touched.push(`${path} (deleted)`);
    } else {
      await writeFile(join(repoRoot, path), text);
      touched.push(path);
    }
  }
  return touched;
}
