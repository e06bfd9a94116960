/**
 * @internal
 * `kiq` dispatch: global options, the command registry, help texts, exit
 * codes and one-line error messages. `main.ts` binds it to the process;
 * everything here goes through a {@link CliIo}.
 */
import { kiqVersion } from '../version.js';
import { closestName, wantsHelp } from './args.js';
import { CliError, EXIT, UsageError, type CliIo, type Command } from './command.js';
import { commands } from './commands/index.js';

/** Global options that may come before the command name; they are handed to the command. */
const GLOBAL_WITH_VALUE = new Set(['--redis-url']);
const GLOBAL_FLAGS = new Set(['--json']);

/** `kiq --help`. */
export function mainUsage(registry: Readonly<Record<string, Command>> = commands): string {
  const names = Object.keys(registry);
  const width = Math.max(8, ...names.map((n) => n.length));
  const list = names.map((name) => `  ${name.padEnd(width)}  ${registry[name]!.summary}`).join('\n');
  return `kiq ${kiqVersion()}: background jobs on Redis in Sidekiq's wire format

Usage: kiq <command> [options]
       kiq <command> --help

Commands:
${list}

Global options (before or after the command):
  --redis-url <url>  Redis to use (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --json             machine-readable output, for commands that list things
  -h, --help         help for kiq or a command
  -v, --version      print the version

Exit codes:
  0  ok
  1  runtime failure (Redis unreachable, a job not written, a crash)
  2  usage error (unknown command or option, bad argument or URL)
  3  not found (e.g. 'kiq retries show <jid>' with no such job)
`;
}

/**
 * Runs `kiq <argv...>` and returns its exit code; never throws. Errors are
 * one line on stderr: `kiq <command>: <message>`.
 */
export async function runCli(argv: readonly string[], io: CliIo, registry: Readonly<Record<string, Command>> = commands): Promise<number> {
  const leading: string[] = [];
  let i = 0;
  // global options before the command name
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      io.out(mainUsage(registry));
      return EXIT.OK;
    }
    if (arg === '--version' || arg === '-v') {
      io.out(`${kiqVersion()}\n`);
      return EXIT.OK;
    }
    const name = arg.split('=')[0]!;
    if (GLOBAL_WITH_VALUE.has(name)) {
      if (!arg.includes('=')) {
        if (i + 1 >= argv.length) return fail(io, new UsageError(`option ${name} needs a value`));
        leading.push(arg, argv[i + 1]!);
        i += 2;
        continue;
      }
      leading.push(arg);
    } else if (GLOBAL_FLAGS.has(arg)) {
      leading.push(arg);
    } else {
      const closest = closestName(name.replace(/^-+/, ''), ['redis-url', 'json', 'help', 'version']);
      return fail(io, new UsageError(`unknown option ${name}${closest ? ` (did you mean --${closest}?)` : ''}`));
    }
    i++;
  }
  const name = argv[i];
  if (name === undefined) {
    io.err(mainUsage(registry));
    return EXIT.USAGE;
  }
  if (name === 'help') {
    const topic = argv[i + 1];
    if (topic === undefined) {
      io.out(mainUsage(registry));
      return EXIT.OK;
    }
    return help(io, registry, topic);
  }
  const command = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!command) {
    const closest = closestName(name, Object.keys(registry));
    return fail(io, new UsageError(`unknown command '${name}'${closest ? ` (did you mean '${closest}'?)` : ''}; see 'kiq --help'`));
  }
  const rest = [...leading, ...argv.slice(i + 1)];
  if (wantsHelp(rest)) {
    io.out(withNewline(command.usage));
    return EXIT.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return fail(io, error, name);
  }
}

function help(io: CliIo, registry: Readonly<Record<string, Command>>, topic: string): number {
  const command = Object.hasOwn(registry, topic) ? registry[topic] : undefined;
  if (!command) {
    const closest = closestName(topic, Object.keys(registry));
    return fail(io, new UsageError(`unknown command '${topic}'${closest ? ` (did you mean '${closest}'?)` : ''}; see 'kiq --help'`));
  }
  io.out(withNewline(command.usage));
  return EXIT.OK;
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Prints `error` as one line and returns its exit code. */
export function fail(io: CliIo, error: unknown, command?: string): number {
  const prefix = command ? `kiq ${command}` : 'kiq';
  if (error instanceof UsageError) {
    const hint = error.command ?? command;
    io.err(`${prefix}: ${error.message}${hint && !error.message.includes('--help') ? `; see 'kiq ${hint} --help'` : ''}\n`);
    return error.exitCode;
  }
  if (error instanceof CliError) {
    io.err(`${prefix}: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`${prefix}: ${message.split('\n')[0]}\n`);
  if (io.env.KIQ_DEBUG && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  return EXIT.FAILURE;
}
