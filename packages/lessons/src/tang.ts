// The committed corpus of Tang quatrains (data/tang-quatrains.tsv, extracted from the
// `chinese-poetry` package by scripts/extract-poems.mjs). Node only: it reads a file.
import { readFileSync } from 'node:fs';
import { parseCorpus, type Quatrain, type QuatrainForm } from './poems/corpus.js';

/**
 * The quatrains of 全唐詩 (traditional characters, as in the source), in source order; only those
 * of one form when `form` is given (5: 3,911 五言絕句; 7: 10,506 七言絕句).
 */
export function loadTangQuatrains(form?: QuatrainForm): Quatrain[] {
  const all = parseCorpus(readFileSync(new URL('../data/tang-quatrains.tsv', import.meta.url), 'utf8'));
  return form === undefined ? all : all.filter((q) => q.form === form);
}
