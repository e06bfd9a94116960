/**
 * @internal
 * Lossless edits of a job's top-level keys in its raw JSON text
 * (docs/architecture.md §2: re-encoding a payload loses bytes — `[]` became `{}`,
 * 17-digit integers were rounded). Only the values of the keys named in the
 * change set are rewritten; every other byte (args, unknown keys, `1.0`,
 * `\u00e9` escapes, Ruby's whitespace, key order) stays exactly as read.
 * Used on failure (retry and dead payloads), so it runs per failure, never
 * per success.
 */
import { InvalidJobError } from '../errors.js';
import { TIMESTAMP_KEYS } from './payload.js';
import { formatSeconds, formatTimestamp, MS_KEYS, type TimestampFormat } from './timestamp.js';

/**
 * Returns `raw` with its top-level keys changed:
 * - a value of `undefined` removes the key (every occurrence, if duplicated);
 * - any other value replaces the value text of the key in place (every
 *   occurrence: `JSON.parse` keeps the last one, so all must agree), or, when
 *   the key is absent, is appended as `,"key":<value>` after the last member
 *   (just `"key":<value>` in an empty object), in the order of `changes`.
 *
 * Values are written as `JSON.stringify` writes them, except finite numbers
 * under `created_at`, `enqueued_at`, `failed_at`, `retried_at` and
 * `expires_at`, which get `formatSeconds` (always a fractional part,
 * docs/sidekiq-contract.md §2 "Timestamps"), or whole milliseconds for the
 * first four with `timestamps: 'ms'` (Sidekiq 8's format). Like `encodeJob`, a value
 * without a JSON form (a function, a symbol) removes the key.
 *
 * The whole text is checked to be JSON on the way (one pass, no parse):
 * throws `InvalidJobError` (`.payload` = `raw`) when it is not a JSON
 * object, and when a value cannot be encoded (a BigInt, a cycle).
 *
 * @example
 * patchJob('{"class":"W","args":[[],1.0,12345678901234567],"retry_count":0}', { retry_count: 1, retried_at: 1700000000 });
 * // '{"class":"W","args":[[],1.0,12345678901234567],"retry_count":1,"retried_at":1700000000.0}'
 * patchJob('{ "class" : "W", "args" : [ ] }', { class: undefined }); // '{ "args" : [ ] }'
 */
export function patchJob(raw: string, changes: Readonly<Record<string, unknown>>, timestamps: TimestampFormat = 'seconds'): string {
  if (typeof raw !== 'string') throw new InvalidJobError(`expected a JSON string, got a ${typeof raw}`, raw);
  const object = scanObject(raw);
  const encoded = encodeChanges(changes, raw, timestamps);
  if (encoded.size === 0) return raw;

  const { members } = object;
  const seen = new Set<string>();
  let out = object.members.length === 0 ? raw.slice(0, object.afterOpen) : raw.slice(0, members[0]!.keyStart);
  let previous: Member | undefined; // last member written
  for (const member of members) {
    let text: string;
    if (encoded.has(member.key)) {
      seen.add(member.key);
      const value = encoded.get(member.key);
      if (value === undefined) continue; // removed
      text = raw.slice(member.keyStart, member.valueStart) + value;
    } else {
      text = raw.slice(member.keyStart, member.valueEnd);
    }
    // Between two kept members, the separator that followed the earlier one.
    if (previous !== undefined) out += raw.slice(previous.valueEnd, previous.nextKeyStart);
    out += text;
    previous = member;
  }
  let sep = previous === undefined ? '' : ',';
  for (const [key, value] of encoded) {
    if (value === undefined || seen.has(key)) continue;
    out += `${sep}${JSON.stringify(key)}:${value}`;
    sep = ',';
  }
  // Whatever followed the last member (or the `{` of an empty object): spaces, `}`, spaces.
  const last = members[members.length - 1];
  return out + raw.slice(last === undefined ? object.afterOpen : last.valueEnd);
}

/** One top-level member: offsets into the raw text. */
interface Member {
  /** The decoded key. */
  readonly key: string;
  /** Index of the key's opening quote. */
  readonly keyStart: number;
  /** Index of the value's first character (after `:` and spaces). */
  readonly valueStart: number;
  /** Index just past the value. */
  readonly valueEnd: number;
  /** Index of the next member's key (past `,` and spaces), or `valueEnd` for the last member. */
  nextKeyStart: number;
}

interface ScannedObject {
  /** Index just past the opening `{`. */
  readonly afterOpen: number;
  readonly members: Member[];
}

/** Changes → encoded value text per key (`undefined`: remove), in insertion order. */
function encodeChanges(changes: Readonly<Record<string, unknown>>, raw: string, timestamps: TimestampFormat): Map<string, string | undefined> {
  const encoded = new Map<string, string | undefined>();
  for (const key of Object.keys(changes)) {
    const value = changes[key];
    if (typeof value === 'number' && Number.isFinite(value) && TIMESTAMP_KEYS.has(key)) {
      encoded.set(key, MS_KEYS.has(key) ? formatTimestamp(value, timestamps) : formatSeconds(value));
      continue;
    }
    try {
      encoded.set(key, JSON.stringify(value)); // undefined for undefined, functions, symbols
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidJobError(`cannot encode "${key}" as JSON (${reason})`, raw, { cause: error });
    }
  }
  return encoded;
}

// Character codes.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Thrown inside the scanner; turned into an `InvalidJobError` by `scanObject`. */
class ScanError {
  constructor(
    readonly what: string,
    readonly at: number,
  ) {}
}

/**
 * Walks the whole text once, as `JSON.parse` would accept it (RFC 8259: only
 * space, tab, LF and CR as whitespace, no BOM, no trailing commas, no
 * control characters inside strings), recording the spans of the top-level
 * members. Nested values are skipped with an explicit stack, so nesting
 * depth costs no call stack.
 */
function scanObject(raw: string): ScannedObject {
  try {
    let i = skipSpace(raw, 0);
    if (raw.charCodeAt(i) !== OPEN_BRACE) {
      throw new ScanError(i >= raw.length ? 'expected a JSON object, got empty text' : 'expected a JSON object', i);
    }
    const afterOpen = i + 1;
    const members: Member[] = [];
    i = skipSpace(raw, afterOpen);
    if (raw.charCodeAt(i) === CLOSE_BRACE) {
      i += 1;
    } else {
      for (;;) {
        const keyStart = i;
        if (raw.charCodeAt(i) !== QUOTE) throw new ScanError('expected a string key', i);
        const keyEnd = scanString(raw, i);
        i = skipSpace(raw, keyEnd);
        if (raw.charCodeAt(i) !== COLON) throw new ScanError('expected ":"', i);
        const valueStart = skipSpace(raw, i + 1);
        const valueEnd = scanValue(raw, valueStart);
        const member: Member = { key: keyOf(raw, keyStart, keyEnd), keyStart, valueStart, valueEnd, nextKeyStart: valueEnd };
        members.push(member);
        i = skipSpace(raw, valueEnd);
        const c = raw.charCodeAt(i);
        if (c === COMMA) {
          i = skipSpace(raw, i + 1);
          member.nextKeyStart = i;
          continue;
        }
        if (c === CLOSE_BRACE) {
          i += 1;
          break;
        }
        throw new ScanError('expected "," or "}"', i);
      }
    }
    i = skipSpace(raw, i);
    if (i !== raw.length) throw new ScanError('unexpected text after the object', i);
    return { afterOpen, members };
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    throw new InvalidJobError(`not a JSON object (${error.what} at offset ${error.at})`, raw);
  }
}

/** The key between `start` (its opening quote) and `end` (past its closing quote), unescaped. */
function keyOf(raw: string, start: number, end: number): string {
  const inner = raw.slice(start + 1, end - 1);
  return inner.includes('\\') ? (JSON.parse(raw.slice(start, end)) as string) : inner;
}

function skipSpace(raw: string, i: number): number {
  for (;;) {
    const c = raw.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i += 1;
    else return i;
  }
}

const IN_ARRAY = 0;
const IN_OBJECT = 1;

/** Index just past the JSON value that starts at `i`. */
function scanValue(raw: string, i: number): number {
  const stack: number[] = [];
  for (;;) {
    // A value starts at i.
    const c = raw.charCodeAt(i);
    if (c === QUOTE) {
      i = scanString(raw, i);
    } else if (c === OPEN_BRACKET) {
      i = skipSpace(raw, i + 1);
      if (raw.charCodeAt(i) === CLOSE_BRACKET) {
        i += 1;
      } else {
        stack.push(IN_ARRAY);
        continue;
      }
    } else if (c === OPEN_BRACE) {
      i = skipSpace(raw, i + 1);
      if (raw.charCodeAt(i) === CLOSE_BRACE) {
        i += 1;
      } else {
        stack.push(IN_OBJECT);
        i = scanKeyAndColon(raw, i);
        continue;
      }
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      i = scanNumber(raw, i);
    } else if (raw.startsWith('true', i)) {
      i += 4;
    } else if (raw.startsWith('false', i)) {
      i += 5;
    } else if (raw.startsWith('null', i)) {
      i += 4;
    } else {
      throw new ScanError(i >= raw.length ? 'unexpected end of text' : 'expected a value', i);
    }
    // After a value: close containers, or move on to the next element.
    for (;;) {
      const top = stack.length === 0 ? -1 : stack[stack.length - 1];
      if (top === -1) return i;
      i = skipSpace(raw, i);
      const next = raw.charCodeAt(i);
      if (next === COMMA) {
        i = skipSpace(raw, i + 1);
        if (top === IN_OBJECT) i = scanKeyAndColon(raw, i);
        break;
      }
      if (next === (top === IN_ARRAY ? CLOSE_BRACKET : CLOSE_BRACE)) {
        stack.pop();
        i += 1;
        continue;
      }
      throw new ScanError(top === IN_ARRAY ? 'expected "," or "]"' : 'expected "," or "}"', i);
    }
  }
}

/** `"key" :` followed by spaces, inside a nested object; returns where the value starts. */
function scanKeyAndColon(raw: string, i: number): number {
  if (raw.charCodeAt(i) !== QUOTE) throw new ScanError('expected a string key', i);
  i = skipSpace(raw, scanString(raw, i));
  if (raw.charCodeAt(i) !== COLON) throw new ScanError('expected ":"', i);
  return skipSpace(raw, i + 1);
}

/** A run of string characters that need no attention: not `"`, `\\` or a control character. */
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;

/** Index just past the string whose opening quote is at `i`. */
function scanString(raw: string, i: number): number {
  const start = i;
  i += 1;
  for (;;) {
    PLAIN_RUN.lastIndex = i;
    PLAIN_RUN.test(raw); // always matches (possibly empty); skips ordinary characters natively
    i = PLAIN_RUN.lastIndex;
    const c = raw.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = raw.charCodeAt(i + 1);
      // " \ / b f n r t
      if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else if (e === 0x75 && isHex(raw, i + 2) && isHex(raw, i + 3) && isHex(raw, i + 4) && isHex(raw, i + 5)) {
        i += 6;
      } else {
        throw new ScanError('bad escape in string', i);
      }
    } else if (c < 0x20 || Number.isNaN(c)) {
      throw new ScanError(Number.isNaN(c) ? `unterminated string (opened at offset ${start})` : 'control character in string', i);
    } else {
      i += 1;
    }
  }
}

function isHex(raw: string, i: number): boolean {
  const c = raw.charCodeAt(i);
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` starting at `i`. */
function scanNumber(raw: string, i: number): number {
  if (raw.charCodeAt(i) === MINUS) i += 1;
  const first = raw.charCodeAt(i);
  if (first === ZERO) i += 1;
  else if (first > ZERO && first <= NINE) i = digits(raw, i + 1);
  else throw new ScanError('bad number', i);
  if (raw.charCodeAt(i) === DOT) {
    if (!isDigit(raw.charCodeAt(i + 1))) throw new ScanError('bad number', i);
    i = digits(raw, i + 1);
  }
  const e = raw.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i += 1;
    const sign = raw.charCodeAt(i);
    if (sign === PLUS || sign === MINUS) i += 1;
    if (!isDigit(raw.charCodeAt(i))) throw new ScanError('bad number', i);
    i = digits(raw, i);
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function digits(raw: string, i: number): number {
  while (isDigit(raw.charCodeAt(i))) i += 1;
  return i;
}
