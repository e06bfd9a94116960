/**
 * The build holds the layers: every import under src/ and machines/ obeys the rules in
 * `layer-rules.cjs` (dependency-cruiser), and each rule is shown to catch what it names on a
 * fixture tree that breaks it.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
  readonly cycle?: readonly { readonly name: string }[];
}

/** Run dependency-cruiser over `src` and `machines` of the tree at `cwd`; its violations. */
function cruise(cwd: string): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [depcruise, 'src', 'machines', '--config', join(here, 'layer-rules.cjs'), '--output-type', 'json'],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // depcruise exits non-zero when it finds violations: the JSON is still complete.
        try {
          const result = JSON.parse(stdout) as { summary: { violations: Violation[] } };
          resolve(result.summary.violations);
        } catch {
          reject(new Error(`dependency-cruiser failed: ${error?.message ?? ''}\n${stderr}`));
        }
      },
    );
  });
}

function describeViolation(v: Violation): string {
  const via = v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' → ')})` : '';
  return `${v.rule.name}: ${v.from} → ${v.to}${via}`;
}

describe('layers (dependency-cruiser)', function () {
  this.timeout(60_000);

  it('no import under src/ or machines/ breaks a layer rule', async () => {
    const violations = await cruise(root);
    expect(violations.map(describeViolation), 'the rule comments in test/layers/layer-rules.cjs say why').to.deep.equal([]);
  });

  it('each rule catches what it names (a fixture tree breaks every one)', async () => {
    const violations = await cruise(join(here, 'fixture'));
    const found = new Set(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
    expect([...found].sort()).to.include.members([
      'codec-has-no-redis: src/job/codec.ts → src/redis/connect.ts',
      'library-not-tools: src/server/reaches-up.ts → src/testing/harness.ts',
      'machines-are-pure: machines/impure.ts → src/redis/connect.ts',
      'machines-not-above: machines/impure.ts → src/server/reaches-up.ts',
      'no-cycles: src/cycle-a.ts → src/cycle-b.ts',
      'only-entry-points-import-the-facade: src/server/reaches-up.ts → src/kiq.ts',
    ]);
  });
});
