// `npm run docs`: TypeDoc's command line, run from the repository root so it
// takes its options from package.json "typedocOptions" (output: dist/docs,
// git-ignored).
//
// The project compiles with TypeScript 7 (the native `tsc`), whose npm package
// has no JS API; TypeDoc 0.28 needs TypeScript 5.x/6.0's. So TypeDoc and
// TypeScript 5.9 are the dependencies of this folder's private package
// `kiq-docs`, which the root package.json installs as `file:test/support/docs`:
// they land in test/support/docs/node_modules, where TypeDoc resolves its
// `typescript` to 5.9, while the root node_modules (and `tsc`) keep 7.
// Nothing is fetched at run time: TypeDoc's theme, search index and syntax
// highlighting all ship in its npm package.
await import(new URL('./cli.js', import.meta.resolve('typedoc')).href); // the body of typedoc's bin
