/**
 * @internal
 * What a failure writes into a payload: `error_class` and `error_message`
 * (docs/sidekiq-contract.md §2, §5.1), and how a thrown non-`Error` becomes an
 * `Error` that keeps the thrown value as its `cause` (as Oban's
 * `PerformError` keeps its `reason`).
 */
import { inspect } from 'node:util';

/** Sidekiq keeps this many characters of a message (job_retry.rb `exception_message`). */
export const MAX_ERROR_MESSAGE_CHARS = 10_000;

/** What Sidekiq writes when reading the message itself raises (job_retry.rb). */
export const MESSAGE_THREW = '!!! ERROR MESSAGE THREW AN ERROR !!!';

/**
 * A `perform` threw (or rejected with) something that is not an `Error`:
 * a string, a number, a plain object, `undefined`, `null`… `name` (and so
 * `error_class`) says what it was — `String`, `Number`, `Boolean`,
 * `BigInt`, `Symbol`, `Function`, the object's constructor name (`Object`
 * for plain objects), or `NonErrorThrown` for `undefined` and `null`;
 * `message` is its text; `thrown` and `cause` hold the value itself. The
 * stack is only the first line: the frames would be Kiq's, not the job's.
 *
 * @example
 * const error = toError('boom'); // NonErrorThrown { name: 'String', message: 'boom', thrown: 'boom' }
 */
export class NonErrorThrown extends Error {
  /** The value that was thrown. */
  readonly thrown: unknown;

  constructor(thrown: unknown) {
    super(textOf(thrown), { cause: thrown });
    this.thrown = thrown;
    this.name = kindOf(thrown);
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * The thrown value as an `Error`: itself when it is one (also from another
 * realm, e.g. `node:vm`), else a {@link NonErrorThrown} wrapping it.
 *
 * @example
 * toError(new TypeError('x')); // the same TypeError
 * toError({ code: 42 });       // NonErrorThrown { name: 'Object', message: '{ code: 42 }' }
 */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (isForeignError(thrown)) return thrown as Error;
  return new NonErrorThrown(thrown);
}

/**
 * `error_class`: the error's `name` unless it is empty or the generic
 * `"Error"` of a subclass that did not set its own (then the constructor's
 * name), as Ruby writes `exception.class.name`. Never throws.
 *
 * @example
 * errorClassOf(new RangeError('x'));        // 'RangeError'
 * class Boom extends Error {}
 * errorClassOf(new Boom('x'));              // 'Boom'
 * errorClassOf(new UnknownWorkerError('W')); // 'UnknownWorkerError'
 */
export function errorClassOf(error: Error): string {
  const name = safely(() => error.name);
  if (typeof name === 'string' && name !== '' && name !== 'Error') return truncateChars(name, MAX_ERROR_MESSAGE_CHARS);
  const ctor = safely(() => (error.constructor as { name?: unknown } | undefined)?.name);
  if (typeof ctor === 'string' && ctor !== '') return truncateChars(ctor, MAX_ERROR_MESSAGE_CHARS);
  return 'Error';
}

/**
 * `error_message`: `String(error.message)`, cut to 10,000 characters
 * (code points, as Ruby's `message.to_s[0, 10_000]` counts: a surrogate
 * pair is never split) and scrubbed to well-formed Unicode (lone surrogates
 * become U+FFFD, as Sidekiq `scrub`s to valid UTF-8). `MESSAGE_THREW` when
 * reading the message throws. Never throws.
 *
 * @example
 * errorMessageOf(new Error('x'.repeat(20_000))).length; // 10_000
 */
export function errorMessageOf(error: Error): string {
  try {
    const message = error.message;
    return wellFormed(truncateChars(typeof message === 'string' ? message : String(message), MAX_ERROR_MESSAGE_CHARS));
  } catch {
    return MESSAGE_THREW;
  }
}

/**
 * The first `max` code points of `text` (a surrogate pair counts as one and
 * is never split).
 *
 * @example
 * truncateChars('ab😀c', 3); // 'ab😀'
 */
export function truncateChars(text: string, max: number): string {
  if (text.length <= max) return text; // code points <= code units
  let chars = 0;
  let i = 0;
  while (i < text.length && chars < max) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1));
    i += pair ? 2 : 1;
    chars += 1;
  }
  return text.slice(0, i);
}

/** Lone surrogates → U+FFFD (`String.prototype.toWellFormed`, not in the ES2023 lib). */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** An `Error` made in another realm: `instanceof Error` is false there. */
function isForeignError(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    safely(() => Object.prototype.toString.call(value)) === '[object Error]' &&
    typeof safely(() => (value as { message?: unknown }).message) === 'string'
  );
}

function kindOf(thrown: unknown): string {
  switch (typeof thrown) {
    case 'string':
      return 'String';
    case 'number':
      return 'Number';
    case 'boolean':
      return 'Boolean';
    case 'bigint':
      return 'BigInt';
    case 'symbol':
      return 'Symbol';
    case 'function':
      return 'Function';
    case 'undefined':
      return 'NonErrorThrown';
    default: {
      if (thrown === null) return 'NonErrorThrown';
      const ctor = safely(() => (thrown as { constructor?: { name?: unknown } }).constructor?.name);
      return typeof ctor === 'string' && ctor !== '' ? ctor : 'Object';
    }
  }
}

function textOf(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (typeof thrown === 'symbol') return thrown.toString();
  if (typeof thrown === 'function') return safely(() => inspect(thrown)) ?? '[Function]';
  if (thrown === null || typeof thrown !== 'object') return String(thrown);
  // An error-like object (`throw { message: 'x' }`) keeps its message.
  const message = safely(() => (thrown as { message?: unknown }).message);
  if (typeof message === 'string') return message;
  return safely(() => inspect(thrown, { depth: 2, breakLength: Infinity, maxStringLength: MAX_ERROR_MESSAGE_CHARS })) ?? '[unprintable value]';
}

/** `fn()`, or `undefined` when it throws (getters and proxies can). */
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
