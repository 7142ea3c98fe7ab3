// Writes public/tang5.txt for the page: the texts of the five-character Tang quatrains of the
// committed corpus (packages/lessons/data/tang-quatrains.tsv), one a line, in corpus order, so
// that the page's split of them is the one `pnpm start --model poem` makes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadTangQuatrains } from '@gd/lessons/tang';

const config = JSON.parse(readFileSync(new URL('../src/poem.json', import.meta.url), 'utf8'));
const out = new URL(`../public/${config.corpus}`, import.meta.url);
const texts = loadTangQuatrains(5).map((q) => q.text);
const body = `${texts.join('\n')}\n`;
mkdirSync(new URL('../public/', import.meta.url), { recursive: true });
writeFileSync(out, body);
console.log(`poems: ${texts.length} five-character quatrains → ${out.pathname} (${Buffer.byteLength(body)} bytes)`);
