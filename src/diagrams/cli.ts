/**
 * @internal
 * `npm run diagrams`: regenerate `diagrams/` from `machines/`.
 * `npm run diagrams:check` (`--check`): regenerate in memory, list the files
 * that differ and exit 1 when any does (`npm test` runs it).
 */
import { checkDiagrams, writeDiagrams } from './index.js';

const check = process.argv.includes('--check');
if (check) {
  const stale = await checkDiagrams();
  if (stale.length === 0) {
    console.log('diagrams/ is up to date');
  } else {
    for (const file of stale) console.error(`${file.path}: ${file.reason}`);
    console.error(`${stale.length} generated file(s) in diagrams/ do not match machines/: run npm run diagrams and commit the result`);
    process.exitCode = 1;
  }
} else {
  const touched = await writeDiagrams();
  for (const path of touched) console.log(`wrote ${path}`);
  if (touched.length === 0) console.log('diagrams/ is up to date');
}
