/**
 * `kiq gen kiq|worker|reporter`: the real CLI in a child process writing into
 * a scratch directory inside the checkout (so the generated `import … from
 * 'kiq'` resolves to this package by self-reference, through the build in
 * dist/), then the generated files are typechecked with tsc and their tests
 * run with mocha + tsx.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/cli.js';
import { genName } from '../../src/cli/templates/names.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const main = join(root, 'src/cli/main.ts');
const scratch = join(root, `.gen-test-${process.pid}`);

/** The lines `kiq gen` ends with: how to run the test it wrote. */
function runLine(test: string): string {
  return `\nRun the tests (once: npm install --save-dev mocha @types/mocha tsx):\n  NODE_ENV=test npx mocha -n import=tsx ${test}\n`;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `kiq gen <args>` with the scratch directory as the current one. */
async function gen(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', main, 'gen', ...args], { cwd: scratch });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('kiq gen', function () {
  this.timeout(120_000);

  before(async () => {
    // the generated code imports 'kiq' and 'kiq/testing': the built package
    try {
      await exec('npm', ['run', 'build', '--silent'], { cwd: root });
    } catch (error) {
      // another file of the checkout may not compile right now; what is built still serves
      if (!existsSync(join(root, 'dist/src/index.d.ts')) || !existsSync(join(root, 'dist/src/testing/index.d.ts'))) throw error;
    }
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('kiq <Name>: a setup module and its test, one "* creating" line each (as Kiq\'s supervisor generator)', async () => {
    const run = await gen('kiq', 'Jobs');
    expect(run).to.deep.equal({ code: 0, stdout: `* creating src/jobs.ts\n* creating src/jobs.test.ts\n${runLine('src/jobs.test.ts')}`, stderr: '' });
    const module = await readFile(join(scratch, 'src/jobs.ts'), 'utf8');
    expect(module).to.include("import { Kiq, type KiqOptions } from 'kiq';");
    expect(module).to.include("testMode: test ? 'sandbox' : 'disabled'");
    expect(module).to.include('server: !test');
    expect(module).to.include('env.REDIS_URL');
    expect(module, 'the spool, commented').to.include("    // spool: { dir: './kiq-spool' },");
    expect(module).to.include('export const jobs = createJobs();');
  });

  it('worker <Name> -q events --retry 10 --no-dead: queue "events", retry 10, dead false (docs/kiq-elixir.md check 85)', async () => {
    const run = await gen('worker', 'Mailer', '-q', 'events', '--retry', '10', '--no-dead');
    expect(run).to.deep.equal({ code: 0, stdout: `* creating src/workers/mailer.ts\n* creating src/workers/mailer.test.ts\n${runLine('src/workers/mailer.test.ts')}`, stderr: '' });
    const module = await readFile(join(scratch, 'src/workers/mailer.ts'), 'utf8');
    expect(module).to.include("export const Mailer = defineWorker({\n  class: 'Mailer',\n  queue: 'events',\n  retry: 10,\n  dead: false,\n");
    const test = await readFile(join(scratch, 'src/workers/mailer.test.ts'), 'utf8');
    expect(test).to.include("import { Testing } from 'kiq/testing';");
    expect(test).to.include('Testing.assertEnqueued');
    expect(test).to.include('Testing.drain');
  });

  it('worker with defaults and a namespaced name: queue "default", no retry/dead keys, nested path', async () => {
    const run = await gen('worker', 'billing::invoice_mailer', '--dir', 'lib/jobs');
    expect(run.stdout).to.equal(`* creating lib/jobs/billing/invoice-mailer.ts\n* creating lib/jobs/billing/invoice-mailer.test.ts\n${runLine('lib/jobs/billing/invoice-mailer.test.ts')}`);
    const module = await readFile(join(scratch, 'lib/jobs/billing/invoice-mailer.ts'), 'utf8');
    expect(module).to.include("export const InvoiceMailer = defineWorker({\n  class: 'Billing::InvoiceMailer',\n  queue: 'default',\n  async perform(");
  });

  it('reporter <Name>: a reporter with the five callbacks (docs/kiq-elixir.md check 83)', async () => {
    const run = await gen('reporter', 'Custom');
    expect(run.stdout).to.equal(`* creating src/reporters/custom.ts\n* creating src/reporters/custom.test.ts\n${runLine('src/reporters/custom.test.ts')}`);
    const module = await readFile(join(scratch, 'src/reporters/custom.ts'), 'utf8');
    for (const callback of ['started', 'success', 'aborted', 'failure', 'stopped']) expect(module).to.match(new RegExp(`^    ${callback}\\(event: Job\\w+Event\\) \\{$`, 'm'));
    expect(module).to.include('export const Custom = createCustom();');
  });

  it('refuses to overwrite (exit 2, nothing written) unless --force', async () => {
    await gen('worker', 'Payments');
    const path = join(scratch, 'src/workers/payments.ts');
    await writeFile(path, '// edited by hand\n');
    const refused = await gen('worker', 'Payments', '-q', 'other');
    expect(refused.code).to.equal(2);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.equal(
      'kiq gen: src/workers/payments.ts, src/workers/payments.test.ts already exist; nothing written (pass --force to overwrite)\n',
    );
    expect(await readFile(path, 'utf8')).to.equal('// edited by hand\n');

    const forced = await gen('worker', 'Payments', '--force');
    expect(forced.code).to.equal(0);
    expect(forced.stdout).to.equal(`* overwriting src/workers/payments.ts\n* overwriting src/workers/payments.test.ts\n${runLine('src/workers/payments.test.ts')}`);
    expect(await readFile(path, 'utf8')).to.include("class: 'Payments'");
  });

  it('usage errors: unknown kind, missing or bad name, worker options elsewhere (exit 2, one line)', async () => {
    const cases = [['thing', 'X'], [], ['worker'], ['worker', '9lives'], ['kiq', 'default'], ['reporter', 'Audit', '-q', 'x'], ['worker', 'X', '--retry', 'many'], ['worker', 'X', '-q', "it's"], ['worker', 'X', '--dead', '--no-dead']];
    for (const args of cases) {
      let err = '';
      const code = await runCli(['gen', ...args], { out: () => undefined, err: (text) => (err += text), env: {}, cwd: scratch });
      expect(code, args.join(' ')).to.equal(2);
      expect(err, args.join(' ')).to.match(/^kiq gen: [^\n]+\n$/);
    }
  });

  it('the generated files typecheck against the built package (tsc, strict and then some)', async () => {
    await writeFile(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: {
          rootDir: '.',
          noEmit: true,
          types: ['node', 'mocha'],
          // what the strictest app configs add to strict
          noUnusedLocals: true,
          noUnusedParameters: true,
          exactOptionalPropertyTypes: true,
          noPropertyAccessFromIndexSignature: true,
          noImplicitReturns: true,
        },
        include: ['**/*.ts'],
      }),
    );
    const tsc = join(root, 'node_modules/.bin/tsc');
    const result = await exec(tsc, ['-p', scratch], { cwd: root }).then(
      () => ({ ok: true, output: '' }),
      (error: { stdout?: string }) => ({ ok: false, output: error.stdout ?? String(error) }),
    );
    expect(result.output).to.equal('');
    expect(result.ok).to.equal(true);
  });

  it('the generated tests pass (mocha + tsx, NODE_ENV=test)', async () => {
    const mocha = join(root, 'node_modules/mocha/bin/mocha.js');
    const { stdout } = await exec(process.execPath, [mocha, '--no-package', '--no-config', '-n', 'import=tsx', '--reporter', 'dot', `${scratch}/**/*.test.ts`], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test' },
    });
    // kiq 2 + worker 2 × 3 (Mailer, InvoiceMailer, Payments) + reporter 2
    expect(stdout).to.match(/10 passing/);
    expect(stdout).not.to.match(/failing/);
  });
});

describe('kiq gen in an app, run as it says', function () {
  this.timeout(120_000);
  let app: string;

  before(async () => {
    // an app outside the checkout: its own package.json, and in node_modules
    // kiq (this checkout, built by the block above) and the dev dependencies
    // the printed install line names, as npm would link them
    app = await mkdtemp(join(tmpdir(), 'kiq-gen-app-'));
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await mkdir(join(app, 'node_modules', '.bin'), { recursive: true });
    await mkdir(join(app, 'node_modules', '@types'), { recursive: true });
    await symlink(root, join(app, 'node_modules', 'kiq'), 'dir');
    for (const pkg of ['mocha', 'tsx', '@types/mocha']) await symlink(join(root, 'node_modules', pkg), join(app, 'node_modules', pkg), 'dir');
    await symlink('../mocha/bin/mocha.js', join(app, 'node_modules', '.bin', 'mocha'));
  });
  after(() => rm(app, { recursive: true, force: true }));

  it('prints how to run the generated tests, and that command passes them', async () => {
    const printed: string[] = [];
    for (const args of [['kiq', 'App'], ['worker', 'Mailer'], ['reporter', 'Audit']]) {
      const { stdout } = await exec(process.execPath, ['--import', 'tsx', main, 'gen', ...args], { cwd: app });
      expect(stdout).to.include('Run the tests (once: npm install --save-dev mocha @types/mocha tsx):\n');
      printed.push(/^ {2}(NODE_ENV=test npx mocha .*)$/m.exec(stdout)?.[1] ?? `no command in: ${stdout}`);
    }
    expect(printed[1]).to.equal('NODE_ENV=test npx mocha -n import=tsx src/workers/mailer.test.ts');
    // each command exactly as printed, through a shell, from the app's root, no tsx preloaded
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(app, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, NODE_OPTIONS: '' };
    delete env.NODE_ENV;
    for (const command of printed) {
      const { stdout } = await exec('sh', ['-c', command], { cwd: app, env });
      expect(stdout, command).to.match(/\d+ passing/).and.not.match(/failing/);
    }
  });
});

describe('kiq gen names', () => {
  it('derives class, identifiers and path from PascalCase, snake_case, kebab-case and namespaces', () => {
    expect(genName('InvoiceMailer')).to.deep.include({ className: 'InvoiceMailer', pascal: 'InvoiceMailer', camel: 'invoiceMailer', path: 'invoice-mailer' });
    expect(genName('billing::invoice_mailer')).to.deep.include({ className: 'Billing::InvoiceMailer', path: 'billing/invoice-mailer', file: 'invoice-mailer' });
    expect(genName('audit-log')).to.deep.include({ className: 'AuditLog', camel: 'auditLog' });
    expect(genName('HTTPClient')).to.deep.include({ className: 'HTTPClient', camel: 'httpClient', path: 'http-client' });
    expect(genName('My.App')).to.deep.include({ className: 'My::App', path: 'my/app' });
    expect(genName('1st')).to.be.a('string');
    expect(genName('new')).to.be.a('string');
  });
});
