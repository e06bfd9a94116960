#!/usr/bin/env node
/**
 * The `kiq` executable (package.json `bin`). Binds {@link runCli} to the
 * process: argv, stdout/stderr, the environment, the exit code. Run from a
 * checkout without building: `npm run kiq -- <command>` or
 * `node --import tsx src/cli/main.ts <command>`.
 */
import { runCli } from './cli.js';

// `kiq retries list | head -1`: a closed pipe is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await runCli(process.argv.slice(2), {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
// Commands close what they open; exiting once the output is written means a
// stray handle can never keep a script waiting.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
