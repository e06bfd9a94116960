/**
 * @internal
 * Plain-text output of the CLI: aligned tables and JSON output. Durations,
 * times, job classes and payloads as text are src/admin/text.ts (shared with
 * the web UI). No colours, so output pipes cleanly.
 */
import { truncate } from '../admin/text.js';

/** A table column. */
export interface Column {
  readonly header: string;
  /** Right-align (numbers). */
  readonly right?: boolean;
  /** Cut longer cells to this many characters (with `…`). */
  readonly max?: number;
}

/**
 * Rows under a header, columns separated by two spaces, the last column
 * unpadded. Ends with a newline.
 *
 * @example
 * table([{ header: 'QUEUE' }, { header: 'SIZE', right: true }], [['default', '3']]);
 * // 'QUEUE    SIZE\ndefault     3\n'
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => columns.map((column, i) => (column.max ? truncate(row[i] ?? '', column.max) : (row[i] ?? '').replace(/\n/g, ' '))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => {
        const last = i === row.length - 1;
        if (columns[i]!.right) return cell.padStart(widths[i]!);
        return last ? cell : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Compact JSON of a value for a table cell (`undefined` → `-`). */
export function compactJson(value: unknown): string {
  if (value === undefined) return '-';
  try {
    return JSON.stringify(value) ?? '-';
  } catch {
    return String(value);
  }
}

/** `value` as indented JSON plus a newline: the `--json` output. */
export function jsonOut(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
