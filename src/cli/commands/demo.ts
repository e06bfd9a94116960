/**
 * @internal
 * `kiq demo [--jobs N]`: a newcomer's first run (src/demo/run.ts does the work).
 */
import { HELP_OPTION, integerOption, parseCommandArgs, REDIS_URL_OPTION } from '../args.js';
import { UsageError, type CliIo, type Command } from '../command.js';
import { checkRedisUrl } from '../redis.js';
import { defaultTimeoutMs, runDemo } from '../../demo/run.js';

/** Default `--jobs`. */
const DEFAULT_JOBS = 200;
/** Most `--jobs` (the reliable-push buffer holds 100,000). */
const MAX_JOBS = 100_000;

const usage = `Usage: kiq demo [--jobs N] [--timeout S] [--plain] [--redis-url URL]

Runs a Kiq server with a few demo workers on a real Redis and shows it work:
${DEFAULT_JOBS} jobs by default (most succeed at once, some fail and are retried),
3 scheduled jobs and a periodic job every 2 s; then the final stats and where
to look next. Exits 0 when everything ran.

Redis: --redis-url or REDIS_URL when set (used as is: the demo clears only
its own queues demo, demo-flaky and demo-cron, and their jobs); otherwise a
throwaway redis-server on a free port, stopped when the demo ends. Without
either, exits 1 saying how to install redis-server.

Options:
  --jobs N         jobs to enqueue at once (default ${DEFAULT_JOBS}, at most ${MAX_JOBS})
  --timeout S      give up (exit 1) after S seconds (default 30, more for large --jobs)
  --plain          plain progress lines even on a terminal
  --redis-url URL  Redis to use (default: $REDIS_URL, else a throwaway redis-server)

Ctrl-C stops the server gracefully (running jobs finish) and exits 130;
a second Ctrl-C exits at once.
`;

export const demoCommand: Command = {
  summary: 'run a Kiq server with demo workers and watch it (starts a throwaway Redis if needed)',
  usage,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs('demo', {
      args: [...argv],
      options: {
        ...HELP_OPTION,
        ...REDIS_URL_OPTION,
        jobs: { type: 'string' },
        timeout: { type: 'string' },
        plain: { type: 'boolean' },
      },
      allowPositionals: false,
    });
    const jobs = integerOption('demo', 'jobs', values.jobs, 1) ?? DEFAULT_JOBS;
    if (jobs > MAX_JOBS) throw new UsageError(`option --jobs expects at most ${MAX_JOBS}, got ${jobs}`, 'demo');
    const timeoutS = integerOption('demo', 'timeout', values.timeout, 1);
    const redisUrl = values['redis-url'] ?? (io.env.REDIS_URL || undefined);
    if (redisUrl !== undefined) checkRedisUrl(redisUrl, 'demo');
    return runDemo(
      { jobs, timeoutMs: timeoutS === undefined ? defaultTimeoutMs(jobs) : timeoutS * 1000, redisUrl },
      { out: (text) => io.out(text), err: (text) => io.err(text), env: io.env, tty: !values.plain && isTerminal(io) },
    );
  },
};

/** Whether stdout is a terminal: the io's own flag when it has one, else the process's. */
function isTerminal(io: CliIo): boolean {
  const flag = (io as CliIo & { readonly isTTY?: boolean }).isTTY;
  return flag ?? (process.stdout.isTTY === true && io.env.TERM !== 'dumb');
}
