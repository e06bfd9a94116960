/**
 * @internal
 * Text for the parts of a statechart that `machine.toJSON()` loses or
 * mangles (docs/architecture.md §6 item 4): guard names (`and`/`or`/`not`/`stateIn`
 * combinators and inline guard functions), action names, delayed and
 * done/error events. Used by `mermaid.ts`; pure and deterministic.
 */

/** What a guard looks like on a transition definition: a name, `{ type }`, or a function. */
type GuardLike = unknown;

/** An inline function `({ event }) => event.output.length > 0` shown as its expression. */
function inlineExpression(fn: (...args: never[]) => unknown): string | undefined {
  const source = Function.prototype.toString.call(fn);
  const arrow = /^\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*=>\s*([^{][\s\S]*)$/.exec(source);
  if (!arrow?.[1]) return undefined;
  const expression = normalizeSpacing(arrow[1]);
  return expression.length > 60 ? undefined : expression;
}

/**
 * The same text whether the runtime printed `a > 0 && !b` or `a>0&&!b`
 * (tsx prints functions without optional spaces): no spaces, then one
 * around each binary operator. Expressions with strings or nested arrows
 * are only collapsed.
 */
function normalizeSpacing(source: string): string {
  const collapsed = source.replace(/\s+/g, ' ').trim();
  if (/["'`]|=>/.test(collapsed)) return collapsed;
  return collapsed
    .replace(/(?<![\w$])\s+|\s+(?![\w$])/g, '')
    .replace(/(===|!==|==|!=|>=|<=|&&|\|\||\?\?|[<>+*/%]|(?<=[\w)\]])-)/g, ' $1 ')
    .replace(/,/g, ', ');
}

/** `wantsRestart`, `and(wantsRestart, intensityExceeded)`, `stateIn(active.stoppingFetcher)`, `event.output !== null`. */
export function guardLabel(guard: GuardLike): string {
  if (guard === undefined || guard === null) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combinator = guard as { name?: string; guards?: readonly GuardLike[]; stateValue?: unknown };
    if (Array.isArray(combinator.guards)) return `${combinator.name}(${combinator.guards.map(guardLabel).join(', ')})`;
    if (combinator.stateValue !== undefined) return `stateIn(${stateValueLabel(combinator.stateValue)})`;
    return inlineExpression(guard as (...args: never[]) => unknown) ?? (combinator.name && combinator.name !== 'guard' ? combinator.name : 'inline guard');
  }
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'guard';
}

/** `{ active: 'stoppingFetcher' }` → `active.stoppingFetcher`. */
function stateValueLabel(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, inner]) => `${key}.${stateValueLabel(inner)}`)
      .join(', ');
  }
  return String(value);
}

/** An action's name: `'recordWrite'`, `{ type: 'recordWrite', params }`, or a built-in (`assign`, `sendTo`, …). */
export function actionLabel(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') {
    const builtin = (action as { type?: unknown }).type;
    if (typeof builtin === 'string') return builtin.replace(/^xstate\./, '');
    return action.name && action.name !== 'actions' && action.name !== 'entry' ? action.name : 'inline action';
  }
  if (typeof action === 'object' && action !== null && 'type' in action) return String((action as { type: unknown }).type);
  return 'action';
}

/** The event part of a transition label. */
export function eventLabel(eventType: string, delay: unknown): string {
  if (delay !== undefined) return `after ${String(delay)}`;
  if (eventType === '') return 'always';
  if (eventType.startsWith('xstate.done.actor.')) return `done(${eventType.slice('xstate.done.actor.'.length)})`;
  if (eventType.startsWith('xstate.error.actor.')) return `error(${eventType.slice('xstate.error.actor.'.length)})`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  if (eventType.startsWith('xstate.snapshot.')) return `snapshot(${eventType.slice('xstate.snapshot.'.length)})`;
  return eventType;
}

/** `event [guard] / action, action`. */
export function transitionLabel(t: { eventType: string; delay?: unknown; guard?: unknown; actions?: readonly unknown[] }): string {
  const guard = guardLabel(t.guard);
  const actions = (t.actions ?? []).map(actionLabel);
  return clean(`${eventLabel(t.eventType, t.delay)}${guard ? ` [${guard}]` : ''}${actions.length ? ` / ${actions.join(', ')}` : ''}`);
}

/** Mermaid ends a statement at `;` or a newline, and a quoted label at `"`. */
export function clean(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/;/g, ',').replace(/"/g, "'");
}
