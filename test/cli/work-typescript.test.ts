/**
 * `kiq work -r ./workers.ts` as an app runs it: the built executable
 * (dist/src/cli/main.js, no tsx preloaded) in an app directory whose
 * node_modules has kiq (and, in one app, tsx). With tsx the TypeScript
 * module loads and its worker performs a job; without it, one line says
 * what to do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { useRedis } from '../support/redis.js';
import { ROOT, watch } from './support.js';

const exec = promisify(execFile);
const MAIN = join(ROOT, 'dist/src/cli/main.js');

/** TypeScript only a loader can run: a type-only import, an interface, a typed tuple. */
const WORKERS_TS = `
import { defineWorker, type JobContext } from 'kiq';
interface Order { readonly id: string }
function describe(order: Order, ctx: JobContext): string { return \`\${order.id} on \${ctx.queue}\`; }
export const TsEcho = defineWorker({
  class: 'TsEcho',
  queue: 'ts',
  perform([id]: [string], ctx) { console.log('performed ' + describe({ id }, ctx)); },
});
`;

/** An app directory: package.json, workers.ts, node_modules/kiq (→ this checkout) and the given extra packages. */
async function app(parent: string, name: string, packages: readonly string[]): Promise<string> {
  const dir = join(parent, name);
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  await writeFile(join(dir, 'workers.ts'), WORKERS_TS);
  await symlink(ROOT, join(dir, 'node_modules', 'kiq'), 'dir');
  for (const pkg of packages) await symlink(join(ROOT, 'node_modules', pkg), join(dir, 'node_modules', pkg), 'dir');
  return dir;
}

describe('kiq work with TypeScript worker modules', function () {
  this.timeout(120_000);
  const redis = useRedis();
  const children: ChildProcess[] = [];
  let scratch: string;

  before(async () => {
    await exec('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    scratch = await mkdtemp(join(tmpdir(), 'kiq-ts-app-'));
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it("loads ./workers.ts through the app's tsx and performs its jobs", async () => {
    const dir = await app(scratch, 'with-tsx', ['tsx']);
    await redis.client
      .multi()
      .sadd('queues', 'ts')
      .lpush('queue:ts', JSON.stringify({ retry: true, queue: 'ts', class: 'TsEcho', args: ['o-1'], jid: 'f00000000000000000000001', created_at: Date.now() / 1000 }))
      .exec();
    const child = spawn(process.execPath, [MAIN, 'work', '-r', './workers.ts', '--timeout', '5'], {
      cwd: dir,
      env: { ...process.env, REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const { out, exited, until } = watch(child);
    await until('the job', () => out.stdout.includes('performed o-1 on ts'), 30_000);
    expect(out.stdout).to.include('  workers     TsEcho\n');
    child.kill('SIGTERM');
    expect(await exited, `${out.stdout}\n${out.stderr}`).to.equal(0);
  });

  it('says to install tsx or compile to .js when the app has no tsx (exit 1, one line)', async () => {
    const dir = await app(scratch, 'without-tsx', []);
    const failed = await exec(process.execPath, [MAIN, 'work', '-r', './workers.ts'], { cwd: dir, env: { ...process.env, REDIS_URL: redis.url } }).then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stdout).to.equal('');
    expect(failed?.stderr).to.equal(
      `kiq work: cannot load worker module './workers.ts': it is TypeScript and tsx cannot be found from ${dir}: install tsx in the app (npm install --save-dev tsx) or compile to .js and pass the .js file\n`,
    );
  });
});
