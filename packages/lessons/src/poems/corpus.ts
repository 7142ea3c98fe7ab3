// Tang quatrains (絕句) from 全唐詩 as the `chinese-poetry` npm package holds it: each poem a JSON
// object { author, title, paragraphs: ["床前…，…。", …] } in dist/quantangshi/poet.tang.N.json.
// A quatrain is four lines of five (五言) or seven (七言) characters, 「，」 after lines 1 and 3 and
// 「。」 after lines 2 and 4. The committed corpus is one quatrain a line: text, author, title.
import { ValueError } from '@gd/tensor';

/** A poem in the source package's JSON shape. */
export interface SourcePoem {
  author: string;
  title: string;
  paragraphs: readonly string[];
  id?: string;
}

/** Characters per line of a quatrain: 5 (五言絕句) or 7 (七言絕句). */
export type QuatrainForm = 5 | 7;

/** A quatrain of the corpus: its text with punctuation, e.g. '紅豆生南國，秋來發故枝。願君多采擷，此物最相思。'. */
export interface Quatrain {
  text: string;
  author: string;
  title: string;
  form: QuatrainForm;
}

const FORM_PATTERN = {
  5: /^([^，。]{5})，([^，。]{5})。([^，。]{5})，([^，。]{5})。$/u,
  7: /^([^，。]{7})，([^，。]{7})。([^，。]{7})，([^，。]{7})。$/u,
} as const;

/**
 * The form of a quatrain's text — 5 or 7 — or null when it is not one: four lines of 5 or 7
 * characters (code points, so a character outside the Basic Multilingual Plane counts once),
 * none of them 「，」 or 「。」, with 「，」 after lines 1 and 3 and 「。」 after lines 2 and 4.
 *
 * @example
 * ```ts
 * quatrainForm('紅豆生南國，秋來發故枝。願君多采擷，此物最相思。'); // 5
 * quatrainForm('紅豆生南國。秋來發故枝，願君多采擷，此物最相思。'); // null
 * ```
 */
export function quatrainForm(text: string): QuatrainForm | null {
  if (FORM_PATTERN[5].test(text)) return 5;
  if (FORM_PATTERN[7].test(text)) return 7;
  return null;
}

/** The four lines of a quatrain's text, without their punctuation. */
export function quatrainLines(text: string): string[] {
  return text.split(/[，。]/u).filter((l) => l.length > 0);
}

/**
 * The quatrains among source poems, in their order: a poem whose paragraphs, joined, make a
 * well-formed quatrain ({@link quatrainForm}). Characters are kept as the source has them
 * (traditional); tabs and line breaks in author and title become spaces.
 */
export function extractQuatrains(poems: readonly SourcePoem[]): Quatrain[] {
  if (!Array.isArray(poems)) throw new ValueError(`extractQuatrains: expected an array of poems, got ${typeof poems}`);
  const out: Quatrain[] = [];
  poems.forEach((p, i) => {
    if (!p || !Array.isArray(p.paragraphs)) {
      throw new ValueError(`extractQuatrains: poem ${i} has no paragraphs array (got ${JSON.stringify(p)?.slice(0, 80)})`);
    }
    const text = p.paragraphs.join('');
    const form = quatrainForm(text);
    if (form !== null) out.push({ text, author: oneLine(p.author), title: oneLine(p.title), form });
  });
  return out;
}

function oneLine(s: unknown): string {
  return String(s ?? '').replace(/[\t\r\n]+/g, ' ');
}

/** The corpus file: one quatrain a line, `text<TAB>author<TAB>title`. */
export function formatCorpus(quatrains: readonly Quatrain[]): string {
  return quatrains.map((q) => `${q.text}\t${q.author}\t${q.title}\n`).join('');
}

/** Reads the corpus file of {@link formatCorpus}; every line must hold a well-formed quatrain. */
export function parseCorpus(file: string): Quatrain[] {
  const out: Quatrain[] = [];
  file.split('\n').forEach((line, i) => {
    if (line === '') return;
    const [text = '', author = '', title = ''] = line.split('\t');
    const form = quatrainForm(text);
    if (form === null) throw new ValueError(`parseCorpus: line ${i + 1} is not a quatrain: ${JSON.stringify(text.slice(0, 40))}`);
    out.push({ text, author, title, form });
  });
  return out;
}

/** Poems, characters (punctuation included, by code point) and distinct characters of quatrains. */
export function corpusStats(quatrains: readonly Quatrain[]): { poems: number; characters: number; distinct: number } {
  const seen = new Set<string>();
  let characters = 0;
  for (const q of quatrains) {
    for (const c of q.text) {
      seen.add(c);
      characters++;
    }
  }
  return { poems: quatrains.length, characters, distinct: seen.size };
}
