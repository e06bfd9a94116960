/**
 * @internal
 * Argument parsing for `kiq` commands: node:util `parseArgs` (strict), with
 * its errors turned into one-line {@link UsageError}s that name the command
 * and suggest the closest option, and the options every command shares.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

/** `-h, --help`: every command takes it. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;
/** `--redis-url <url>`: every command that talks to Redis takes it. */
export const REDIS_URL_OPTION = { 'redis-url': { type: 'string' } } as const;
/** `--json`: commands that list things take it. */
export const JSON_OPTION = { json: { type: 'boolean' } } as const;

/** Whether `argv` asks for help (`-h`/`--help` before any `--`). Help wins over every other problem. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/**
 * `parseArgs(config)` for `kiq <command>` (`config.args` = the arguments
 * after the command name; strict, parseArgs' default); a parse error becomes a
 * {@link UsageError} such as `unknown option --jsn (did you mean --json?)`.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw toUsageError(command, error, Object.keys(config.options ?? {}));
  }
}

function toUsageError(command: string, error: unknown, known: readonly string[]): UsageError {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = (quoted ?? '').replace(/^-+/, '').split('=')[0] ?? '';
      const closest = closestName(name, known);
      return new UsageError(`unknown option ${quoted ?? ''}${closest ? ` (did you mean --${closest}?)` : ''}`, command);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '--limit <value>' argument missing" / "Option '-q, --queue <value>' argument missing"
      const option = quoted?.replace(/ <value>$/, '') ?? 'an option';
      return new UsageError(/argument missing/.test(message) ? `option ${option} needs a value` : `option ${option}: ${message}`, command);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument ${quoted ? `'${quoted}'` : ''}`.trim(), command);
    default:
      return new UsageError(message, command);
  }
}

/** Levenshtein distance (small strings only). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `input` (prefix match first), or `undefined` when none is close. */
export function closestName(input: string, candidates: readonly string[]): string | undefined {
  if (input === '') return undefined;
  const prefixed = candidates.filter((c) => c.startsWith(input));
  if (prefixed.length === 1) return prefixed[0];
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(input, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(input.length / 3)) ? best.name : undefined;
}

/** A whole number ≥ `min` from an option value, or a usage error naming the option. */
export function integerOption(command: string, option: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`option --${option} expects a whole number${min > 0 ? ` >= ${min}` : ''}, got '${value}'`, command);
  }
  return Number(value);
}
