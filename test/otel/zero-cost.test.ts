/**
 * Zero cost when OpenTelemetry is not used (issue 15 item 4): no module the
 * public entry points or the CLI reach imports `@opentelemetry/*` or
 * `src/otel/`, statically or through `import()`, so an app that never
 * imports `kiq/otel` neither needs nor loads the API.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES = ['src/index.ts', 'src/testing/index.ts', 'src/admin/index.ts', 'src/web/index.ts', 'src/cli/main.ts'];
/** `from '…'`, `import '…'` and `import('…')` specifiers (type-only imports included: they must not name the API either). */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** Every source file reached from `entries`, with the bare specifiers each imports. */
function importGraph(entries: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = entries.map((entry) => join(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const bare: string[] = [];
    graph.set(file, bare);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (!spec!.startsWith('.')) {
        bare.push(spec!);
        continue;
      }
      // generated code inside a template string (src/cli/templates/): not an import of this file
      if (spec!.includes('${')) continue;
      const target = resolve(dirname(file), spec!.replace(/\.js$/, '.ts'));
      if (target.endsWith('.ts')) queue.push(target);
    }
  }
  return graph;
}

describe('kiq/otel costs nothing unless imported', () => {
  const graph = importGraph(ENTRIES);

  it('the walk sees the core (a sanity check of the walker)', () => {
    const files = [...graph.keys()].map((file) => relative(ROOT, file));
    expect(files).to.include.members(['src/kiq.ts', 'src/server/runner/run-job.ts', 'src/job/build.ts', 'src/health/prometheus.ts']);
    expect(graph.get(join(ROOT, 'src/health/prometheus.ts'))).to.include('prom-client');
  });

  it('no module the entry points reach imports @opentelemetry/* or src/otel/', () => {
    const offenders = [...graph].filter(([file, bare]) => file.includes('/src/otel/') || bare.some((spec) => spec.startsWith('@opentelemetry/')));
    expect(offenders.map(([file]) => relative(ROOT, file))).to.deep.equal([]);
  });

  it('kiq/otel itself is what imports the API', () => {
    const otel = importGraph(['src/otel/index.ts']);
    expect([...otel.values()].flat()).to.include('@opentelemetry/api');
  });

  it('the API is an optional peer dependency, and kiq/otel an export', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(pkg.dependencies).to.not.have.property('@opentelemetry/api');
    expect(pkg.peerDependencies).to.have.property('@opentelemetry/api');
    expect(pkg.peerDependenciesMeta!['@opentelemetry/api']).to.deep.equal({ optional: true });
    expect(pkg.exports!['./otel']).to.deep.equal({ types: './dist/src/otel/index.d.ts', import: './dist/src/otel/index.js', require: './dist/src/otel/index.js' });
  });
});
