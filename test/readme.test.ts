/**
 * Every fenced code block of README.md is checked, so the README cannot rot:
 *
 * - ```ts blocks are executed. Each is written to `.readme-test-<pid>/block-N.ts`
 *   (inside the repository, so `chai`, `ioredis`… resolve; removed afterwards)
 *   with `'kiq'`, `'kiq/testing'`, `'kiq/admin'`, `'kiq/web'` and `'kiq/otel'` imports pointed at `src/`, and run with
 *   `node --import tsx` and REDIS_URL set to this file's flushed test DB, under a
 *   timeout; it must exit 0. A block that calls `it(` runs under mocha instead.
 *   Blocks may use the names in {@link PRELUDE} without defining them (the README
 *   reads better with `build(id)` than with a stub); the test prepends the
 *   definition of each such name the block uses but does not declare, and
 *   appends `await kiq.stop()` to a block that starts a Kiq and never stops it.
 * - ```ruby blocks run with the real Ruby Sidekiq against the test Redis; one
 *   whose first line is `# config.ru` is a Rack app instead, whose Web UI pages
 *   are rendered in-process (test/interop/fixtures/render-rack.rb) and must
 *   all answer 200.
 * - ```sh blocks are checked, not run: every `npm run <x>` names a script of
 *   package.json, every `kiq <cmd>` a command of the CLI registry.
 * - ```mermaid blocks must at least name a diagram type.
 * - A block preceded by `<!-- readme-test: skip (reason) -->` is skipped; there
 *   must be few of those, each with a reason.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { commands } from '../src/cli/commands/index.js';
import { requireSidekiqOrSkip } from './interop/sidekiq.js';
import { useRedis } from './support/redis.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SCRATCH = join(ROOT, `.readme-test-${process.pid}`);
const BLOCK_TIMEOUT_MS = 30_000;
const MAX_SKIPPED = 2;
/** Renders a rackup file's pages in-process and exits 0 iff all are 200. */
const RENDER_RACK = fileURLToPath(new URL('./interop/fixtures/render-rack.rb', import.meta.url));
const WEB_UI_PAGES = ['/', '/busy', '/queues', '/retries', '/scheduled', '/morgue'];

interface Block {
  readonly index: number;
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The reason given by a `<!-- readme-test: skip (reason) -->` right before the block. */
  readonly skip?: string;
}

/** Every fenced block of a Markdown text, in order. */
export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`README.md:${start + 1}: unclosed code fence`);
    let previous = start - 1;
    while (previous >= 0 && lines[previous]!.trim() === '') previous--;
    const marker = previous >= 0 ? /^<!--\s*readme-test:\s*skip\s*(?:\((.*)\))?\s*-->$/.exec(lines[previous]!.trim()) : null;
    const block: Block = { index: blocks.length, lang: open[2] ?? '', code: body.join('\n'), line: start + 1 };
    blocks.push(marker ? { ...block, skip: (marker[1] ?? '').trim() } : block);
  }
  return blocks;
}

/**
 * Names README blocks may use without defining them, with the definition
 * prepended when a block uses one. Imports come first, then the rest in this order.
 */
const PRELUDE: readonly { name: string; code: string }[] = [
  { name: 'Kiq', code: `import { Kiq } from 'kiq';` },
  { name: 'defineWorker', code: `import { defineWorker } from 'kiq';` },
  { name: 'Mailer', code: `const Mailer = defineWorker({ class: 'Mailer', queue: 'mailers', async perform(_args: [string, number]) {} });` },
  { name: 'signUp', code: `const signUp = async (kiq: Kiq, email: string) => { await kiq.enqueue(Mailer, [email, 1]); };` },
  { name: 'build', code: `const build = async (_id: number, _options: { signal: AbortSignal }) => {};` },
  { name: 'histogram', code: `const histogram = { record: (_value: number, _labels: Record<string, string>) => {} };` },
  { name: 'alert', code: `const alert = (..._args: unknown[]) => {};` },
  { name: 'kiq', code: `const kiq = new Kiq({ queues: { default: 1 } });\nawait kiq.start();` },
];

/** Whether `code` declares `name` itself (import, const/let/function/class). */
function declares(code: string, name: string): boolean {
  return (
    new RegExp(`\\b(?:const|let|var|function|class)\\s+${name}\\b`).test(code) ||
    new RegExp(`import\\s*(?:type\\s*)?\\{[^}]*\\b${name}\\b[^}]*\\}`).test(code) ||
    new RegExp(`import\\s+${name}\\b`).test(code)
  );
}

/** The names of {@link PRELUDE} the block needs, including those its needs need. */
function preludeFor(code: string): string[] {
  const needed = new Set<string>();
  let text = code;
  let grew = true;
  while (grew) {
    grew = false;
    for (const { name, code: definition } of PRELUDE) {
      if (needed.has(name) || declares(code, name) || !new RegExp(`\\b${name}\\b`).test(text)) continue;
      needed.add(name);
      text += `\n${definition}`;
      grew = true;
    }
  }
  return PRELUDE.filter(({ name }) => needed.has(name)).map(({ code: definition }) => definition);
}

/** The file actually run for a ```ts block. */
export function runnableSource(code: string): string {
  const src = (path: string) => JSON.stringify(join(ROOT, path));
  const prelude = preludeFor(code);
  let body = [...prelude, code].join('\n');
  const withoutComments = body.replace(/\/\/.*$/gm, '');
  if (/\bnew Kiq\(/.test(withoutComments) && /\bkiq\.start\(/.test(withoutComments) && !/\bkiq\.stop\(/.test(withoutComments)) {
    body += '\nawait kiq.stop();';
  }
  body = body
    .replace(/from\s+'kiq\/testing'/g, `from ${src('src/testing/index.ts')}`)
    .replace(/from\s+'kiq\/admin'/g, `from ${src('src/admin/index.ts')}`)
    .replace(/from\s+'kiq\/web'/g, `from ${src('src/web/index.ts')}`)
    .replace(/from\s+'kiq\/otel'/g, `from ${src('src/otel/index.ts')}`)
    .replace(/from\s+'kiq'/g, `from ${src('src/index.ts')}`);
  return `${body}\nexport {};\n`;
}

/** Runs `node <args>` in the repository root; resolves with its exit code and output. */
function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[readme-test] killed after ${BLOCK_TIMEOUT_MS} ms`;
      child.kill('SIGKILL');
    }, BLOCK_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** `npm run <x>` / `npm <x>` / `kiq <cmd>` in a ```sh block, checked against package.json and the CLI registry. */
function checkShellLine(line: string, scripts: Record<string, string>): string | undefined {
  const command = line.replace(/(^|\s)#.*$/, '').trim();
  if (!command) return undefined;
  for (const part of command.split(/\s*&&\s*/)) {
    const words = part.split(/\s+/);
    if (words[0] === 'npm') {
      if (words[1] === 'run') {
        if (!words[2] || !(words[2] in scripts)) return `npm run ${words[2] ?? ''}: no such script in package.json`;
      } else if (words[1] === 'test') {
        if (!('test' in scripts)) return 'npm test: no test script';
      } else if (words[1] !== 'install') {
        return `npm ${words[1]}: not a command this check knows`;
      }
    } else if (words[0] === 'kiq') {
      if (!words[1] || !(words[1] in commands)) return `kiq ${words[1] ?? ''}: no such command in src/cli/commands/index.ts`;
    } else {
      return `${words[0]}: not an npm or kiq command (teach test/readme.test.ts about it)`;
    }
  }
  return undefined;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = extractBlocks(README);

describe('README.md code blocks', function () {
  this.timeout(BLOCK_TIMEOUT_MS + 10_000);
  const redis = useRedis();

  before(() => mkdirSync(SCRATCH, { recursive: true }));
  after(() => rmSync(SCRATCH, { recursive: true, force: true }));

  it('has code blocks, every one in a language this test handles, few skipped and each with a reason', () => {
    expect(blocks.length).to.be.greaterThan(5);
    for (const block of blocks) expect(['ts', 'sh', 'mermaid', 'ruby', 'yaml'], `README.md:${block.line}`).to.include(block.lang);
    const skipped = blocks.filter((block) => block.skip !== undefined);
    expect(skipped.length, 'skipped blocks').to.be.at.most(MAX_SKIPPED);
    for (const block of skipped) expect(block.skip, `README.md:${block.line}: a skip needs a reason`).to.match(/\w{3}/);
  });

  it('catches what it should: a throwing block exits non-zero, unknown commands and scripts are reported', async () => {
    const file = join(SCRATCH, 'self-check.ts');
    writeFileSync(file, runnableSource(`const kiq = new Kiq({ server: false });\nawait kiq.start();\nthrow new Error('rot');`));
    const result = await run(['--import', 'tsx', file], { ...process.env, REDIS_URL: redis.url });
    expect(result.code).to.equal(1);
    expect(result.output).to.include('rot');
    const pkg = { test: 'x', demo: 'y' };
    expect(checkShellLine('npm install && npm run demo   # comment', pkg)).to.equal(undefined);
    expect(checkShellLine('kiq retries list --limit 50', pkg)).to.equal(undefined);
    expect(checkShellLine('npm run nope', pkg)).to.match(/no such script/);
    expect(checkShellLine('kiq frobnicate', pkg)).to.match(/no such command/);
    expect(checkShellLine('rm -rf /', pkg)).to.match(/not an npm or kiq command/);
    const parsed = extractBlocks('a\n<!-- readme-test: skip (why) -->\n```ts\nx\n```\n```sh\ny\n```\n');
    expect(parsed.map((b) => [b.lang, b.code, b.skip])).to.deep.equal([['ts', 'x', 'why'], ['sh', 'y', undefined]]);
  });

  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

  for (const block of blocks) {
    const title = `README.md:${block.line} (\`\`\`${block.lang}${block.skip !== undefined ? `, skipped: ${block.skip}` : ''})`;
    if (block.skip !== undefined) {
      it.skip(title);
      continue;
    }
    if (block.lang === 'sh') {
      it(`${title}: every command exists`, () => {
        for (const line of block.code.split('\n')) {
          const problem = checkShellLine(line, scripts);
          expect(problem, `README.md:${block.line}: ${line}`).to.equal(undefined);
        }
      });
    } else if (block.lang === 'yaml') {
      // Kubernetes probes: the command in the first comment exists, and every
      // probed path is one the health server answers (src/health/http-server.ts)
      it(`${title}: its command exists and it probes only the health server's paths`, () => {
        const command = /^#[^:]*:\s*(.+)$/.exec(block.code.split('\n')[0] ?? '')?.[1];
        expect(command, `README.md:${block.line}: a first-line comment naming the command`).to.be.a('string');
        expect(checkShellLine(command!, scripts), `README.md:${block.line}: ${command}`).to.equal(undefined);
        const served = new Set(readFileSync(join(ROOT, 'src/health/http-server.ts'), 'utf8').match(/'\/[a-z]+'/g)?.map((route) => route.slice(1, -1)));
        const probed = [...block.code.matchAll(/path:\s*(\/[a-z]+)/g)].map((match) => match[1]!);
        expect(probed.length, `README.md:${block.line}: probes`).to.be.greaterThan(0);
        for (const path of probed) expect([...served], `README.md:${block.line}: ${path}`).to.include(path);
      });
    } else if (block.lang === 'mermaid') {
      it(`${title}: names a diagram type`, () => {
        expect(block.code.trim()).to.match(/^(graph|flowchart|stateDiagram(-v2)?|sequenceDiagram|classDiagram|erDiagram)\b/);
      });
    } else if (block.lang === 'ruby' && block.code.startsWith('# config.ru')) {
      it(`${title}: serves every Web UI page with 200 under real Ruby Sidekiq`, async function () {
        requireSidekiqOrSkip(this);
        const file = join(SCRATCH, `block-${block.index}.ru`);
        writeFileSync(file, `${block.code}\n`);
        const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn('ruby', [RENDER_RACK, file, ...WEB_UI_PAGES], { env: { ...process.env, REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'pipe'] });
          let output = '';
          child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.on('close', (code) => resolve({ code, output }));
        });
        expect(result.code, `README.md:${block.line}:\n${result.output.slice(0, 2000)}`).to.equal(0);
      });
    } else if (block.lang === 'ruby') {
      it(`${title}: runs with real Ruby Sidekiq and exits 0`, async function () {
        requireSidekiqOrSkip(this);
        const file = join(SCRATCH, `block-${block.index}.rb`);
        writeFileSync(file, `require 'sidekiq'\n${block.code}\n`);
        const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn('ruby', [file], { env: { ...process.env, REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'pipe'] });
          let output = '';
          child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.on('close', (code) => resolve({ code, output }));
        });
        expect(result.code, `README.md:${block.line}:\n${result.output}`).to.equal(0);
        expect(await redis.client.dbsize(), 'the Ruby block wrote to Redis').to.be.greaterThan(0);
      });
    } else if (block.lang === 'ts') {
      const isTest = /(^|\n)\s*it\(/.test(block.code);
      it(`${title}: runs${isTest ? ' under mocha' : ''} and exits 0`, async () => {
        const file = join(SCRATCH, `block-${block.index}${isTest ? '.test' : ''}.ts`);
        writeFileSync(file, runnableSource(block.code));
        const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redis.url };
        delete env.KIQ_DEBUG;
        const args = isTest ? ['--import', 'tsx', join(ROOT, 'node_modules/mocha/bin/mocha.js'), '--no-parallel', file] : ['--import', 'tsx', file];
        const result = await run(args, env);
        expect(result.code, `README.md:${block.line} exited ${result.code ?? result.signal}:\n${result.output}`).to.equal(0);
        if (isTest) expect(result.output, 'mocha ran no test').to.match(/[1-9]\d* passing/);
      });
    }
  }
});
