// A character vocabulary: the characters of the training poems, each an id, with an id for a
// character never seen in training and the start and end tokens a language model needs.
import { ValueError } from '@gd/tensor';

/** Id of a character not in the vocabulary. */
export const UNK = 0;
/** Id of the start token: every poem is read, and every sample begins, after it. */
export const BOS = 1;
/** Id of the end token: a model ends a poem with it; sampling stops there. */
export const EOS = 2;
const SPECIALS = ['<unk>', '<s>', '</s>'] as const;

/**
 * Characters (code points) ↔ ids. Ids 0, 1, 2 are the unknown character, the start and the end
 * token; the training characters follow, most frequent first (ties by code point), so the same
 * texts give the same ids on every run.
 *
 * @example
 * ```ts
 * const v = CharVocab.fromTexts(['白日依山盡']);
 * v.encode('白山水'); // [6, 4, 0]: ids by frequency, then code point (依 山 日 白 盡); 水 is unknown
 * ```
 */
export class CharVocab {
  /** The character of each id (the specials as '<unk>', '<s>', '</s>'). */
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(chars: readonly string[]) {
    this.chars = chars;
    this.ids = new Map(chars.map((c, i) => [c, i]));
  }

  /** The vocabulary of the characters of `texts`. */
  static fromTexts(texts: readonly string[]): CharVocab {
    const counts = new Map<string, number>();
    for (const t of texts) for (const c of t) counts.set(c, (counts.get(c) ?? 0) + 1);
    const chars = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([c]) => c);
    return new CharVocab([...SPECIALS, ...chars]);
  }

  /** Rebuilds a vocabulary from its `chars` (as saved beside a model). */
  static fromChars(chars: readonly string[]): CharVocab {
    if (chars.length < 3 || SPECIALS.some((s, i) => chars[i] !== s)) {
      throw new ValueError(`CharVocab.fromChars: expected ${SPECIALS.join(', ')} first, got ${chars.slice(0, 3).join(', ')}`);
    }
    return new CharVocab(chars);
  }

  /** Ids, the three special tokens included. */
  get size(): number {
    return this.chars.length;
  }

  /** Characters a text can be made of: the training characters and the unknown one (size − 2). */
  get outcomes(): number {
    return this.chars.length - 2;
  }

  /** The id of one character, UNK when it was not in training. */
  id(char: string): number {
    const i = this.ids.get(char);
    return i === undefined || i < SPECIALS.length ? UNK : i;
  }

  /** The ids of a text's characters (no start or end token). */
  encode(text: string): number[] {
    return Array.from(text, (c) => this.id(c));
  }

  /** The text of ids; the start and end tokens are dropped, the unknown one shown as 「□」. */
  decode(ids: readonly number[]): string {
    let s = '';
    for (const i of ids) {
      if (!Number.isInteger(i) || i < 0 || i >= this.chars.length) {
        throw new ValueError(`CharVocab.decode: id ${i} is outside [0, ${this.chars.length})`);
      }
      if (i === UNK) s += '□';
      else if (i !== BOS && i !== EOS) s += this.chars[i];
    }
    return s;
  }
}
