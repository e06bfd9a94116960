/**
 * @internal
 * What every `kiq` command is: a summary, a usage text and a `run` that
 * returns an exit code. Commands never call `process.exit` and never write to
 * `process.stdout` directly: they get a {@link CliIo}, so tests and the
 * dispatcher in `main.ts` control both.
 */

/** Exit codes scripts can rely on; `kiq --help` lists them. */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** Runtime failure: Redis unreachable, a job not accepted, a crash. */
  FAILURE: 1,
  /** Usage error: unknown command or flag, bad argument. */
  USAGE: 2,
  /** The thing asked for does not exist (e.g. `kiq retries show <jid>`). */
  NOT_FOUND: 3,
} as const;

/** One of the {@link EXIT} codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where a command reads its environment and writes its output. */
export interface CliIo {
  /** Writes to standard output (the command adds its own newlines). */
  out(text: string): void;
  /** Writes to standard error (the command adds its own newlines). */
  err(text: string): void;
  /** Environment variables (REDIS_URL, ...). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
}

/** A top-level `kiq <name>` command. */
export interface Command {
  /** One line for `kiq --help`. */
  readonly summary: string;
  /** Full text for `kiq <name> --help`. */
  readonly usage: string;
  /**
   * Runs the command with the arguments after its name. Returns an exit code;
   * throw {@link UsageError} / {@link NotFoundError} / {@link CliError} for
   * the failures `main.ts` formats as one line.
   */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** A failure the dispatcher prints as `kiq: <message>` with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.FAILURE, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad invocation (exit 2); `command` names whose usage to point at. */
export class UsageError extends CliError {
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message, EXIT.USAGE);
    this.command = command;
  }
}

/** What was asked for does not exist (exit 3). */
export class NotFoundError extends CliError {
  constructor(message: string) {
    super(message, EXIT.NOT_FOUND);
  }
}
