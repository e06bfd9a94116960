import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Run a command; on failure, the error message carries the child's stderr (npm says why there). */
async function runShowingStderr(command: string, args: readonly string[], cwd: string): Promise<void> {
  try {
    await run(command, args, { cwd });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stderr ?? ''}${stdout ?? ''}`, { cause: error });
  }
}
const root = fileURLToPath(new URL('../../', import.meta.url));

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** A consumer script using only the public entry points. */
const CONSUMER = `
import { Kiq, defineWorker, KiqConfigError } from 'kiq';
import { Testing } from 'kiq/testing';
import { Admin } from 'kiq/admin';
const Mailer = defineWorker({ class: 'Mailer', perform() {} });
const kiq = new Kiq({ testMode: 'sandbox', workers: [Mailer] });
await kiq.start();
await kiq.enqueue(Mailer, ['a@b.c']);
Testing.assertEnqueued(kiq, { class: Mailer, args: ['a@b.c'] });
let configError = '';
try { new Kiq({ poolSize: 0 }); } catch (e) { configError = e instanceof KiqConfigError ? e.message : 'wrong type'; }
await new Admin({ redisUrl: 'redis://127.0.0.1:1' }).close(); // kiq/admin resolves; opens no connection until used
console.log(JSON.stringify({ jobs: Testing.enqueued(kiq).length, configError }));
`;

/** The same from CommonJS: `require` of the ESM build (Node >= 20.19, require(esm)). */
const CJS_CONSUMER = `
const { Kiq, defineWorker } = require('kiq');
const { Testing } = require('kiq/testing');
const Mailer = defineWorker({ class: 'Mailer', perform() {} });
(async () => {
  const kiq = new Kiq({ testMode: 'sandbox', workers: [Mailer] });
  await kiq.start();
  await kiq.enqueue(Mailer, ['a@b.c']);
  Testing.assertEnqueued(kiq, { class: Mailer, args: ['a@b.c'] });
  console.log(JSON.stringify({ jobs: Testing.enqueued(kiq).length }));
  await kiq.stop();
})();
`;

/** A strict TypeScript app: right args compile, wrong ones must not (an unused @ts-expect-error fails tsc). */
const TS_CONSUMER = `
import { Kiq, defineWorker, type Job } from 'kiq';
import { Testing } from 'kiq/testing';
const Resize = defineWorker({ class: 'Resize', perform([url, width]: [string, number]) { void url; void width; } });
const kiq = new Kiq({ testMode: 'sandbox', workers: [Resize] });
export async function main(): Promise<Job> {
  // @ts-expect-error -- swapped args
  await kiq.enqueue(Resize, [200, 'https://x']);
  // @ts-expect-error -- a filter typo
  Testing.assertEnqueued(kiq, { queu: 'default' });
  return kiq.enqueue(Resize, ['https://x', 200]);
}
`;

const TS_CONFIG = {
  compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
  files: ['app.ts'],
};

/** A consumer of 'kiq/web': the dashboard's own files and uPlot's are served from the installed package. */
const WEB_CONSUMER = `
import { createServer } from 'node:http';
import { createDashboard } from 'kiq/web';
const dashboard = createDashboard({ redisUrl: 'redis://127.0.0.1:1' });
const server = createServer(dashboard).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = 'http://127.0.0.1:' + server.address().port;
const sizes = {};
for (const name of ['app.js', 'app.css', 'uPlot.iife.min.js', 'uPlot.min.css']) {
  const res = await fetch(base + '/assets/' + name);
  sizes[name] = res.status === 200 ? (await res.arrayBuffer()).byteLength > 100 : res.status;
}
server.close();
await dashboard.close();
console.log(JSON.stringify(sizes));
`;

describe('The built package', function () {
  this.timeout(120_000);
  let scratch: string;

  before(async () => {
    await run('npm', ['run', 'build', '--silent'], { cwd: root });
    scratch = await mkdtemp(join(tmpdir(), 'kiq-consumer-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it("imports as 'kiq', 'kiq/testing' and 'kiq/admin' from a script inside the checkout (self-reference)", async () => {
    const script = join(root, `.consumer-${process.pid}.mjs`);
    await writeFile(script, CONSUMER);
    try {
      const { stdout } = await run(process.execPath, [script], { cwd: root });
      expect(JSON.parse(stdout)).to.deep.equal({ jobs: 1, configError: 'expected option "poolSize" to be a positive integer, got: 0' });
    } finally {
      await rm(script, { force: true });
    }
  });

  it('builds the kiq executable: dist/src/cli/main.js with a shebang, executable, runs without tsx', async () => {
    const main = join(root, 'dist/src/cli/main.js');
    expect((await readFile(main, 'utf8')).startsWith('#!/usr/bin/env node\n')).to.equal(true);
    expect((await stat(main)).mode & 0o111, 'executable bits').to.equal(0o111);
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await run(main, ['--version'], { cwd: root });
    expect(stdout).to.equal(`${version}\n`);
  });

  describe('installed from its tarball into another project', () => {
    let installed: string;
    before(async () => {
      const { stdout: packed } = await run('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: root });
      const tarball = join(scratch, packed.trim().split('\n').pop()!);
      await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      // --prefer-offline, not --offline: a fresh machine has no registry metadata
      // cached for the package's dependencies, so npm must be allowed to ask
      await runShowingStderr('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], scratch);
      installed = join(scratch, 'node_modules', 'kiq');
    });

    it('works there from ESM, and links the kiq executable', async () => {
      await writeFile(join(scratch, 'consumer.mjs'), CONSUMER);
      const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: scratch });
      expect(JSON.parse(stdout).jobs).to.equal(1);
      // package.json "bin": npm links the kiq executable
      const { stdout: help } = await run(join(scratch, 'node_modules', '.bin', 'kiq'), ['--help'], { cwd: scratch });
      expect(help).to.match(/^Usage: kiq <command>/m).and.include('  work ');
    });

    it("works from CommonJS: require('kiq') and require('kiq/testing') in a .cjs file, no warning", async () => {
      await writeFile(join(scratch, 'consumer.cjs'), CJS_CONSUMER);
      const cjs = await run(process.execPath, ['consumer.cjs'], { cwd: scratch });
      expect(JSON.parse(cjs.stdout)).to.deep.equal({ jobs: 1 });
      expect(cjs.stderr, 'stderr').to.equal('');
    });

    it('type-checks a strict TypeScript app against its .d.ts, with wrong worker args rejected', async () => {
      await writeFile(join(scratch, 'app.ts'), TS_CONSUMER);
      await writeFile(join(scratch, 'tsconfig.json'), JSON.stringify(TS_CONFIG));
      await runShowingStderr(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', scratch], scratch);
    });

    it("serves kiq/web's own assets and uPlot's from the installed package", async () => {
      await writeFile(join(scratch, 'web.mjs'), WEB_CONSUMER);
      const { stdout: web } = await run(process.execPath, ['web.mjs'], { cwd: scratch });
      expect(JSON.parse(web)).to.deep.equal({ 'app.js': true, 'app.css': true, 'uPlot.iife.min.js': true, 'uPlot.min.css': true });
    });

    it('ships the LICENSE, and source maps that carry their sources (src/ is not shipped)', async () => {
      expect(await readFile(join(installed, 'LICENSE'), 'utf8')).to.match(/^MIT License/);
      expect(await exists(join(installed, 'src')), 'src/ in the package').to.equal(false);
      const map = JSON.parse(await readFile(join(installed, 'dist/src/kiq.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
      expect(map.sourcesContent?.length).to.equal(map.sources.length);
      expect(map.sourcesContent![0]).to.include('export class Kiq');
    });
  });
});
