/**
 * @internal
 * How `kiq demo` shows progress. On a terminal: one status line rewritten in
 * place (`\r`), with notes printed above it. Elsewhere (a pipe, a CI log, a
 * test): plain lines, a status line about once a second, nothing rewritten.
 */

/** Where the demo writes: `process.stdout` or anything with `write`. */
export interface Output {
  write(text: string): unknown;
  /** True on a terminal. */
  readonly isTTY?: boolean;
}

/** Counts behind a status line. */
export interface ProgressCounts {
  readonly processed: number;
  readonly failed: number;
  /** Jobs waiting in the retry set. */
  readonly retries: number;
  readonly jobsPerSecond: number;
  readonly elapsedMs: number;
}

/** `processed 187 · failed 19 · retries 4 · 412 jobs/s`. */
export function formatProgress(counts: ProgressCounts): string {
  return `processed ${counts.processed} · failed ${counts.failed} · retries ${counts.retries} · ${Math.round(counts.jobsPerSecond)} jobs/s`;
}

/** Seconds with one decimal: `4.2 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Erase the current terminal line (after `\r`). */
const ERASE_LINE = '\x1b[2K';

export class Progress {
  readonly #out: Output;
  readonly #tty: boolean;
  /** The status line on screen (TTY only), redrawn after a note. */
  #shown = '';

  constructor(out: Output) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** Whether the status line is rewritten in place. */
  get tty(): boolean {
    return this.#tty;
  }

  /** Show the counts: in place on a terminal, else as a line of its own. */
  status(counts: ProgressCounts): void {
    const line = `${formatProgress(counts)} · ${seconds(counts.elapsedMs)}`;
    if (this.#tty) {
      this.#shown = line;
      this.#out.write(`\r${ERASE_LINE}  ${line}`);
    } else {
      this.#out.write(`  [${seconds(counts.elapsedMs).padStart(6)}] ${formatProgress(counts)}\n`);
    }
  }

  /** A line of text that stays (above the status line on a terminal). */
  note(text: string): void {
    if (this.#tty && this.#shown) this.#out.write(`\r${ERASE_LINE}${text}\n  ${this.#shown}`);
    else this.#out.write(`${text}\n`);
  }

  /** Leave the status line where it is and move below it. */
  end(): void {
    if (this.#tty && this.#shown) this.#out.write('\n');
    this.#shown = '';
  }
}
