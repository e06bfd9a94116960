/**
 * @internal
 * An xstate v5 machine as a Mermaid `stateDiagram-v2`, read from its
 * StateNode objects (`machine.root`), not from `machine.toJSON()`, which
 * drops `always` transitions and inline guards (docs/architecture.md §6 item 4).
 *
 * What is drawn, in definition order (so the output is deterministic):
 * 1. every state, nested states as composite blocks (parallel regions
 *    separated by `--`), with its invoked actors (`⟳ src`) and its tags
 *    (`#io`, machines/tags.ts) in the label and its named entry actions as a
 *    description line;
 * 2. `[*] --> initial` in each block, `final --> [*]` for final states;
 * 3. every transition, labelled `event [guard] / actions`: `after <delay>`,
 *    `always`, `done(<invoke id>)`, `error(<invoke id>)`; a transition with no
 *    target (it only runs actions) is a self-loop on its state;
 * 4. transitions declared on the machine itself (they apply in every state)
 *    on a pseudo-state "any state".
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { actionLabel, clean, transitionLabel } from './labels.js';

/** Options of {@link toMermaid}. */
export interface MermaidOptions {
  /**
   * Prefix of every Mermaid state id (default: the machine id). Two machines
   * with the same structure but different ids (a supervisor named `kiq` and
   * one named `reporters`) give the same text with the same prefix.
   */
  readonly idPrefix?: string;
}

interface TransitionLike {
  readonly eventType: string;
  readonly target?: readonly AnyStateNode[];
  readonly guard?: unknown;
  readonly delay?: unknown;
  readonly actions?: readonly unknown[];
}

/** Actions xstate adds itself (the raise/cancel pair behind every `after`). */
const IMPLICIT_ACTIONS = new Set(['raise', 'cancel']);

/**
 * Mermaid `stateDiagram-v2` text for `machine`, ending with a newline.
 *
 * @example
 * toMermaid(flusherMachine).split('\n')[0]; // 'stateDiagram-v2'
 */
export function toMermaid(machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const prefix = sanitizeId(options.idPrefix ?? machine.id);
  const idOf = (node: AnyStateNode) => (node.path.length === 0 ? prefix : `${prefix}_${node.path.map(sanitizeId).join('_')}`);
  const lines: string[] = ['stateDiagram-v2'];
  const edges: string[] = [];

  const declare = (node: AnyStateNode, indent: string): void => {
    const id = idOf(node);
    const invokes = node.invoke.map((i: { src: unknown; id: string }) => (typeof i.src === 'string' && !i.src.startsWith('xstate.invoke.') ? i.src : i.id));
    const tags = (node.tags as readonly string[]).map((tag) => ` #${tag}`).join('');
    const label = clean(`${node.key}${node.type === 'history' ? ' (history)' : ''}${invokes.length ? ` ⟳ ${invokes.join(', ')}` : ''}${tags}`);
    const children = Object.values(node.states) as AnyStateNode[];
    if (children.length === 0) {
      lines.push(`${indent}state "${label}" as ${id}`);
      const entry = entryActions(node);
      if (entry.length) lines.push(`${indent}${id} : entry / ${clean(entry.join(', '))}`);
    } else {
      lines.push(`${indent}state "${label}" as ${id} {`);
      block(node, children, indent + '  ');
      lines.push(`${indent}}`);
    }
  };

  const block = (parent: AnyStateNode, children: AnyStateNode[], indent: string): void => {
    if (parent.type === 'parallel') {
      children.forEach((region, i) => {
        if (i > 0) lines.push(`${indent}--`);
        declare(region, indent);
      });
      return;
    }
    const initial = parent.initial?.target[0] as AnyStateNode | undefined;
    if (initial) lines.push(`${indent}[*] --> ${idOf(initial)}`);
    for (const child of children) declare(child, indent);
    for (const child of children) if (child.type === 'final') lines.push(`${indent}${idOf(child)} --> [*]`);
  };

  const anyState = `${prefix}__any`;
  let anyStateUsed = false;
  const collect = (node: AnyStateNode): void => {
    const isRoot = node.path.length === 0;
    const source = isRoot ? anyState : idOf(node);
    for (const t of transitionsOf(node)) {
      if (isRoot) anyStateUsed = true;
      // no target and no actions: the event is handled here only so that it is dropped
      const ignored = !t.target?.length && !t.actions?.length;
      const label = transitionLabel(t) + (ignored ? ' (ignored)' : '');
      const targets = t.target?.length ? t.target : [isRoot ? undefined : node];
      for (const target of targets) edges.push(`${source} --> ${target ? idOf(target) : source} : ${label}`);
    }
    for (const child of Object.values(node.states) as AnyStateNode[]) collect(child);
  };

  const topLevel = Object.values(machine.root.states) as AnyStateNode[];
  if (machine.root.type === 'parallel') {
    // Mermaid accepts `--` regions only inside a composite state
    lines.push(`  [*] --> ${prefix}`, `  state "${clean(machine.id)}" as ${prefix} {`);
    block(machine.root, topLevel, '    ');
    lines.push('  }');
  } else {
    block(machine.root, topLevel, '  ');
  }
  collect(machine.root);
  if (anyStateUsed) lines.push(`  state "any state" as ${anyState}`);
  return [...lines, ...edges.map((e) => `  ${e}`)].join('\n') + '\n';
}

/** Transitions in definition order: `on`, `onDone`, invoke done/error, `after`, then `always`. */
function transitionsOf(node: AnyStateNode): TransitionLike[] {
  const all: TransitionLike[] = [...node.transitions.values()].flat() as TransitionLike[];
  for (const t of (node.always ?? []) as TransitionLike[]) all.push(t);
  return all;
}

/** Named entry actions from the state's own config (xstate adds raise/cancel for `after`). */
function entryActions(node: AnyStateNode): string[] {
  const entry: unknown = node.config.entry;
  const list = entry === undefined ? [] : Array.isArray(entry) ? entry : [entry];
  return list.map(actionLabel).filter((name) => !IMPLICIT_ACTIONS.has(name));
}

/** Mermaid state ids: letters, digits and `_` only. */
function sanitizeId(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, '_');
}
