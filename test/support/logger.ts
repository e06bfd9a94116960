/** A logger that keeps what it is given, for assertions and quiet test output. */
export interface MemoryLogger {
  readonly lines: string[];
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A fresh {@link MemoryLogger}. */
export function silent(): MemoryLogger {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}
