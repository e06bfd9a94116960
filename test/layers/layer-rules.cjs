/**
 * The layer rules of the code base: a dependency-cruiser configuration, checked by
 * `test/layers/layers.test.ts` in `npm test` (the graph of every `import` under `src/` and
 * `machines/`). By hand: `npm run layers`.
 *
 * The layers, bottom to top:
 * - leaves (`src/errors.ts`, `src/logger.ts`, `src/clock.ts`, `src/version.ts`, `src/job/`,
 *   `src/redis/`, …) import nothing above them;
 * - `machines/`: pure statecharts — no I/O, so nothing that reaches Redis, the network or the
 *   file system, and never the facade;
 * - `src/client/` and `src/server/` (with `src/tree.ts`), wired by `src/kiq.ts` (the facade);
 * - the entry points on top: `src/index.ts`, `src/testing/`, `src/admin/`, `src/web/`, `src/otel/`,
 *   `src/cli/`, `src/demo/`.
 * An arrow that points up (a library module importing a test helper, the CLI, or the facade)
 * or a cycle fails the build. Each rule's `comment` is what the failure prints.
 */
/** Modules a pure machine may not reach, directly or through what it imports. */
const IO = '^(node:)?(net|tls|fs|fs/promises|child_process|http|https|dgram)$|node_modules/ioredis/|^src/redis/';

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} The forbidden dependencies; paths are relative to the repository root. */
const forbidden = [
  {
    name: 'no-cycles',
    comment: 'Import cycles make a module impossible to read (or load) on its own: move the shared part into a leaf both import.',
    severity: 'error',
    from: { path: '^(src|machines)/' },
    to: { circular: true },
  },
  {
    name: 'machines-are-pure',
    comment: 'machines/ holds statecharts only: their I/O is bound with .provide() in src/. A machine may import types and pure leaves, never a module that does I/O.',
    severity: 'error',
    from: { path: '^machines/' },
    to: { path: IO, dependencyTypesNot: ['type-only'] },
  },
  {
    name: 'machines-not-above',
    comment: 'machines/ sits below src/client, src/server and the facade: it may not import them.',
    severity: 'error',
    from: { path: '^machines/' },
    to: { path: '^src/(kiq|tree|index)\\.ts$|^src/(client|server|reporters|health|testing|cli|demo|admin|web|inspect)/' },
  },
  {
    name: 'library-not-tools',
    comment: 'The library never imports its test harness, the CLI or the demo (they are built on it, not under it).',
    severity: 'error',
    from: { path: '^src/', pathNot: '^src/(testing|cli|demo)/' },
    to: { path: '^src/(testing|cli|demo)/' },
  },
  {
    name: 'only-entry-points-import-the-facade',
    comment: 'src/kiq.ts is the facade: only the entry points (src/index.ts, the CLI, the demo, kiq/testing, and kiq/web and kiq/otel, which are handed a running Kiq) import it; everything below takes what it needs as arguments.',
    severity: 'error',
    from: { path: '^src/', pathNot: '^src/(index|kiq)\\.ts$|^src/(cli|demo|testing|web|otel)/' },
    to: { path: '^src/kiq\\.ts$' },
  },
  {
    name: 'admin-and-web-read-redis-not-the-server',
    comment: 'kiq/admin and kiq/web read Redis through src/redis/ and the codec; they never import the server runtime or the CLI.',
    severity: 'error',
    from: { path: '^src/(admin|web)/' },
    to: { path: '^src/(server|client|cli)/|^src/tree\\.ts$' },
  },
  {
    name: 'codec-has-no-redis',
    comment: 'src/job/ (build, encode, decode, patch) is a pure codec: it never touches Redis.',
    severity: 'error',
    from: { path: '^src/job/' },
    to: { path: 'node_modules/ioredis/|^src/(redis|server|client)/', dependencyTypesNot: ['type-only'] },
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden,
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser; swc parses the sources.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
