/**
 * @internal
 * Plain JSON data from anything an inspection event carries. Snapshots and
 * events hold actor refs (whose snapshots point back at their parents),
 * errors, class instances and sometimes cycles; `JSON.stringify` would throw
 * or walk the whole actor system. {@link toPlain} keeps data and names the
 * rest: an actor ref becomes `{ "$actor": id, "sessionId": … }`, an error
 * `{ "$error": name, "message": … }`, another class instance
 * `{ "$instance": constructor name }`, a cycle `"[circular]"`.
 */

/** Limits of {@link toPlain}. */
export interface PlainLimits {
  /** Nesting kept; deeper values become `"[depth]"`. @defaultValue 6 */
  readonly depth?: number;
  /** Characters kept of a string (job payloads can be long). @defaultValue 2000 */
  readonly maxString?: number;
  /** Items kept of an array, entries of an object. @defaultValue 100 */
  readonly maxItems?: number;
}

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

function isActorRef(value: object): value is { id: string; sessionId: string } {
  const ref = value as Record<string, unknown>;
  return typeof ref.sessionId === 'string' && typeof ref.send === 'function' && typeof ref.getSnapshot === 'function';
}

/**
 * `value` as data `JSON.stringify` can write and a reader can trust: no
 * functions, symbols, refs or cycles; `undefined` object fields dropped.
 *
 * @example
 * toPlain({ error: new TypeError('bad'), n: 1n, fn() {} }); // { error: { $error: 'TypeError', message: 'bad' }, n: '1' }
 */
export function toPlain(value: unknown, limits: PlainLimits = {}): Plain | undefined {
  const depth = limits.depth ?? 6;
  const maxString = limits.maxString ?? 2000;
  const maxItems = limits.maxItems ?? 100;
  const stack = new Set<object>();

  const convert = (v: unknown, level: number): Plain | undefined => {
    switch (typeof v) {
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'bigint':
        return v.toString();
      case 'string':
        return v.length > maxString ? `${v.slice(0, maxString)}…(+${v.length - maxString} chars)` : v;
    }
    if (v === null) return null;
    const object = v as object;
    if (isActorRef(object)) return { $actor: object.id, sessionId: object.sessionId };
    if (object instanceof Error) return { $error: object.name, message: object.message };
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (stack.has(object)) return '[circular]';
    if (level >= depth) return '[depth]';
    stack.add(object);
    try {
      if (Array.isArray(object) || object instanceof Set) {
        const items = [...(object as Iterable<unknown>)];
        const out = items.slice(0, maxItems).map((item) => convert(item, level + 1) ?? null);
        if (items.length > maxItems) out.push(`…(+${items.length - maxItems} items)`);
        return out;
      }
      if (object instanceof Map) return convert(Object.fromEntries([...object].map(([k, val]) => [String(k), val])), level);
      const proto = Object.getPrototypeOf(object) as object | null;
      if (proto !== null && proto !== Object.prototype) return { $instance: (object.constructor as { name?: string } | undefined)?.name || 'Object' };
      const out: { [key: string]: Plain } = {};
      const keys = Object.keys(object);
      for (const key of keys.slice(0, maxItems)) {
        const converted = convert((object as Record<string, unknown>)[key], level + 1);
        if (converted !== undefined) out[key] = converted;
      }
      if (keys.length > maxItems) out['…'] = `+${keys.length - maxItems} keys`;
      return out;
    } finally {
      stack.delete(object);
    }
  };
  return convert(value, 0);
}
