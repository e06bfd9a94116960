/**
 * @internal
 * `kiq gen kiq|worker|reporter <Name>`: scaffolds a typed module and its
 * test, as Kiq's `mix kiq.gen.supervisor|worker|reporter` do
 * (docs/kiq-elixir.md §13.2, docs/kiq-elixir.md check 83-86): one `* creating <path>` line per
 * file. Existing files are never overwritten without `--force`; then nothing
 * is written at all (exit 2).
 *
 * Generated code imports `kiq` and `kiq/testing`, the package's own names.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { HELP_OPTION, integerOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, UsageError, type CliIo, type Command } from '../command.js';
import { kiqModule, kiqTest } from '../templates/kiq.js';
import { genName, type GenName } from '../templates/names.js';
import { reporterModule, reporterTest } from '../templates/reporter.js';
import { TEST_INSTALL, testCommand } from '../templates/run-tests.js';
import { workerModule, workerTest, type WorkerSpec } from '../templates/worker.js';

/** What `kiq gen` can generate, with the directory each goes to by default. */
const KINDS = {
  kiq: { dir: 'src', what: 'a Kiq setup module (options, init reading REDIS_URL, sandbox under NODE_ENV=test)' },
  worker: { dir: 'src/workers', what: 'a worker (defineWorker)' },
  reporter: { dir: 'src/reporters', what: 'a reporter with the five callbacks (extraReporters)' },
} as const;
type Kind = keyof typeof KINDS;

/** Queue names the generator writes into single-quoted strings. */
const QUEUE_NAME = /^[A-Za-z0-9_.:-]+$/;

const usage = `Usage: kiq gen kiq <Name> [--dir D] [--force]
       kiq gen worker <Name> [-q, --queue Q] [-r, --retry N] [-d, --dead | --no-dead] [--dir D] [--force]
       kiq gen reporter <Name> [--dir D] [--force]

Writes a TypeScript module and a test beside it (<dir>/<name>.test.ts,
mocha-style describe/it with node:assert), as Kiq's mix kiq.gen.* tasks do,
and prints how to run the test (mocha with tsx, NODE_ENV=test):
${(Object.keys(KINDS) as Kind[]).map((kind) => `  ${kind.padEnd(9)}${KINDS[kind].what}; default --dir ${KINDS[kind].dir}`).join('\n')}

<Name> is PascalCase, snake_case or kebab-case, with :: for namespaces
(Billing::Invoice -> <dir>/billing/invoice.ts, worker class 'Billing::Invoice').
Generated code imports from 'kiq' and 'kiq/testing'.

Options:
  --dir D           directory to write to, relative to the current one
  --force           overwrite existing files (otherwise nothing is written, exit 2)
  -q, --queue Q     worker: its queue (default "default")
  -r, --retry N     worker: most retries (default 25)
  -d, --dead        worker: dead set when retries are exhausted (the default)
  --no-dead         worker: drop the job instead
`;

/** One file to write. */
interface Planned {
  readonly path: string;
  readonly text: string;
}

export const genCommand: Command = {
  summary: 'scaffold a Kiq setup module, a worker or a reporter, each with a test',
  usage,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs('gen', {
      args: [...argv],
      options: {
        ...HELP_OPTION,
        dir: { type: 'string' },
        force: { type: 'boolean' },
        queue: { type: 'string', short: 'q' },
        retry: { type: 'string', short: 'r' },
        dead: { type: 'boolean', short: 'd' },
        'no-dead': { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const [kind, rawName, ...extra] = positionals;
    if (kind === undefined) throw new UsageError('missing what to generate: kiq, worker or reporter', 'gen');
    if (!Object.hasOwn(KINDS, kind)) throw new UsageError(`cannot generate '${kind}': expected kiq, worker or reporter`, 'gen');
    if (rawName === undefined) throw new UsageError(`missing the name, e.g. 'kiq gen ${kind} ${kind === 'kiq' ? 'App' : kind === 'worker' ? 'Mailer' : 'Audit'}'`, 'gen');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, 'gen');
    const name = genName(rawName);
    if (typeof name === 'string') throw new UsageError(name, 'gen');

    const workerFlags = (['queue', 'retry', 'dead', 'no-dead'] as const).filter((flag) => values[flag] !== undefined);
    if (kind !== 'worker' && workerFlags.length > 0) throw new UsageError(`--${workerFlags[0]} is for 'kiq gen worker' only`, 'gen');
    if (values.dead && values['no-dead']) throw new UsageError('--dead and --no-dead contradict each other', 'gen');

    const dir = resolve(io.cwd, values.dir ?? KINDS[kind as Kind].dir);
    const base = resolve(dir, name.path);
    const files = plan(kind as Kind, name, base, workerSpec(values));
    return write(files, values.force === true, io);
  },
};

function workerSpec(values: { queue?: string | undefined; retry?: string | undefined; dead?: boolean | undefined; 'no-dead'?: boolean | undefined }): WorkerSpec {
  const queue = values.queue ?? 'default';
  if (!QUEUE_NAME.test(queue)) throw new UsageError(`option --queue expects a queue name (letters, digits, _ - . :), got '${queue}'`, 'gen');
  const retry = integerOption('gen', 'retry', values.retry, 0);
  const dead = values['no-dead'] ? false : values.dead ? true : undefined;
  return { queue, ...(retry === undefined ? {} : { retry }), ...(dead === undefined ? {} : { dead }) };
}

function plan(kind: Kind, name: GenName, base: string, spec: WorkerSpec): Planned[] {
  switch (kind) {
    case 'kiq':
      return [
        { path: `${base}.ts`, text: kiqModule(name) },
        { path: `${base}.test.ts`, text: kiqTest(name) },
      ];
    case 'worker':
      return [
        { path: `${base}.ts`, text: workerModule(name, spec) },
        { path: `${base}.test.ts`, text: workerTest(name, spec) },
      ];
    case 'reporter':
      return [
        { path: `${base}.ts`, text: reporterModule(name) },
        { path: `${base}.test.ts`, text: reporterTest(name) },
      ];
  }
}

async function write(files: readonly Planned[], force: boolean, io: CliIo): Promise<number> {
  const shown = (path: string): string => relative(io.cwd, path) || path;
  const existing: string[] = [];
  for (const file of files) if (await exists(file.path)) existing.push(file.path);
  if (existing.length > 0 && !force) {
    const list = existing.map(shown).join(', ');
    throw new CliError(`${list} already exist${existing.length === 1 ? 's' : ''}; nothing written (pass --force to overwrite)`, EXIT.USAGE);
  }
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    const replacing = existing.includes(file.path);
    // 'wx': a file that appeared since the check is not overwritten either
    await writeFile(file.path, file.text, { flag: replacing ? 'w' : 'wx' });
    io.out(`* ${replacing ? 'overwriting' : 'creating'} ${shown(file.path)}\n`);
  }
  const tests = files.filter((file) => file.path.endsWith('.test.ts')).map((file) => shown(file.path));
  io.out(`\nRun the tests (once: ${TEST_INSTALL}):\n  ${testCommand(tests)}\n`);
  return EXIT.OK;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
