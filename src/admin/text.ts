/**
 * @internal
 * Admin data as plain text, for the CLI and the web UI alike: durations,
 * times, job classes, and payload JSON shown as stored (every number keeps
 * its digits).
 */
import { displayClass, type JobHash } from './job-record.js';

/** Cut `text` to `max` characters, ending in `…` when cut; newlines become spaces. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * A duration in seconds, short: `0s`, `4.2s`, `3m 5s`, `2h 7m`, `3d 4h`.
 *
 * @example
 * formatDuration(125); // '2m 5s'
 */
export function formatDuration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 10) return `${Math.round(s * 10) / 10}s`;
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.floor(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** `in 17s` or `3m 5s ago`, from epoch seconds relative to now. */
export function relative(sec: number, nowMs: number = Date.now()): string {
  const delta = sec - nowMs / 1000;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/** Epoch seconds as ISO 8601 UTC without milliseconds (`2026-11-27T19:32:18Z`); `-` when not a valid time. */
export function isoTime(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec)) return '-';
  const date = new Date(sec * 1000);
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Pretty-prints JSON *text* (2-space indent) without parsing it, so every
 * number keeps its digits (`12345678901234567`, `1.0`) and every escape its
 * form; `JSON.parse` + `stringify` would change both. Text that is not JSON
 * comes back unchanged.
 *
 * @example
 * prettyJson('{"args":[1.0,12345678901234567]}');
 * // '{\n  "args": [\n    1.0,\n    12345678901234567\n  ]\n}'
 */
export function prettyJson(text: string): string {
  try {
    JSON.parse(text);
  } catch {
    return text;
  }
  let out = '';
  let depth = 0;
  let opened = ''; // the `{` or `[` just written: empty containers stay on one line
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (const token of jsonTokens(compactText(text))) {
    if (opened !== '') {
      const empty = token === (opened === '{' ? '}' : ']');
      opened = '';
      if (empty) {
        out += token;
        continue;
      }
      depth++;
      out += newline();
    }
    if (token === '{' || token === '[') {
      out += token;
      opened = token;
    } else if (token === '}' || token === ']') {
      depth--;
      out += newline() + token;
    } else if (token === ',') {
      out += `,${newline()}`;
    } else if (token === ':') {
      out += ': ';
    } else {
      out += token;
    }
  }
  return out;
}

/**
 * The raw text of a top-level key's value in a JSON object's *text*, with
 * whitespace outside strings removed (`undefined` when absent or not an
 * object). Shows args as stored: `JSON.parse` would round
 * `12345678901234567` and turn `1.0` into `1`.
 *
 * @example
 * rawValue('{"class":"W","args":[1.0, 12345678901234567]}', 'args'); // '[1.0,12345678901234567]'
 */
export function rawValue(text: string, key: string): string | undefined {
  let depth = 0;
  let expectKey = false;
  let valueStart = -1;
  let matched = false;
  let end = 0;
  for (const token of jsonTokens(text)) {
    const at = end;
    end += token.length;
    const c = token[0];
    if (c === '"') {
      if (depth === 1 && expectKey) {
        expectKey = false;
        try {
          matched = JSON.parse(token) === key;
        } catch {
          return undefined;
        }
      }
    } else if (c === ':' && depth === 1 && matched) {
      valueStart = end;
      matched = false;
    } else if (c === '{' || c === '[') {
      if (depth === 0 && c !== '{') return undefined;
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']' || c === ',') {
      if (c !== ',') depth--;
      if (valueStart >= 0 && depth <= 1 && (c === ',' || depth === 0)) return compactText(text.slice(valueStart, at));
      if (c === ',' && depth === 1) expectKey = true;
      if (depth === 0) return undefined;
    }
  }
  return undefined;
}

/** JSON text's strings (whole: quotes and escapes kept) and its other characters, one at a time. */
function* jsonTokens(text: string): Generator<string> {
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '"') {
      yield text[i]!;
      continue;
    }
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    yield text.slice(i, j + 1);
    i = j;
  }
}

/** JSON text without whitespace outside strings. */
function compactText(text: string): string {
  let out = '';
  for (const token of jsonTokens(text)) if (!/^\s$/.test(token)) out += token;
  return out;
}

/**
 * The class column of a job, in the CLI and the dashboard alike: its
 * `displayClass` (ActiveJob and mailers unwrapped), `-` when the payload
 * names none, `(not a job)` for a member that is not a JSON object.
 *
 * @example
 * classLabel({ class: 'HardWorker' }); // 'HardWorker'
 * classLabel(undefined);              // '(not a job)'
 */
export function classLabel(job: JobHash | undefined): string {
  return job ? (displayClass(job) ?? '-') : '(not a job)';
}
