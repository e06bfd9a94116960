import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  output: string;
}

/** `npm run docs -- --out <dir>`: the real script, into a scratch folder so dist/docs is left alone. */
function runDocs(out: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', 'docs', '--', '--out', out],
      { cwd: root, timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

// Takes about 10 s (TypeDoc on TypeScript 5.9, see test/support/docs/typedoc.mjs), so it stays in npm test.
describe('API reference (npm run docs)', function () {
  this.timeout(70_000);

  let out: string;
  let run: Run;

  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'kiq-docs-'));
    run = await runDocs(out);
  });

  after(() => rmSync(out, { recursive: true, force: true }));

  it('keeps TypeDoc strict: every export must be documented, warnings are errors', () => {
    const options = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).typedocOptions;
    expect(options.validation).to.include({ notDocumented: true, notExported: true, invalidLink: true });
    expect(options.treatWarningsAsErrors).to.equal(true);
    expect(options.entryPoints).to.deep.equal(['src/index.ts', 'src/testing/index.ts', 'src/admin/index.ts', 'src/web/index.ts', 'src/otel/index.ts']);
  });

  it('exits 0 with no warnings (no undocumented export)', () => {
    expect(run.output).not.to.match(/does not have any documentation/);
    expect(run.output).not.to.match(/\[warning\]|\[error\]/);
    expect(run.code, run.output).to.equal(0);
  });

  it('writes HTML for Kiq, defineWorker, createHarness, Admin and createDashboard', () => {
    const pages = {
      Kiq: 'classes/index.Kiq.html',
      defineWorker: 'functions/index.defineWorker.html',
      createHarness: 'functions/testing.createHarness.html',
      Admin: 'classes/admin.Admin.html',
      createDashboard: 'functions/web.createDashboard.html',
    };
    expect(existsSync(join(out, 'index.html')), 'index.html').to.equal(true);
    for (const [name, page] of Object.entries(pages)) {
      const file = join(out, page);
      expect(existsSync(file), page).to.equal(true);
      expect(readFileSync(file, 'utf8')).to.include(name);
    }
  });
});
