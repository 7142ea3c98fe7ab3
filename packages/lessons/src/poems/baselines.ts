// Held-out cross-entropy in bits per character (docs/tutorial.md §1.2: information −log₂ p,
// entropy H(X)), computed by one function for every model: the mean of −log₂ p(cᵢ | c₁…cᵢ₋₁)
// over every character of every held-out poem, punctuation included, each poem read after the
// start token. A character never seen in training is the unknown id, and each model gives it
// its own probability.
import { entropy } from '@gd/losses';
import { ValueError } from '@gd/tensor';
import { BOS, type CharVocab, UNK } from './vocab.js';

/**
 * A character model: for each sequence of character ids (without start or end token), the
 * information content −log₂ p of each character given the start token and the characters before it.
 */
export interface CharModel {
  /** Shown in reports. */
  readonly name: string;
  /** −log₂ p of each id of each sequence, given what precedes it. */
  surprisal(sequences: readonly (readonly number[])[]): number[][];
}

/** Mean bits per character of a model over texts, with the total bits and the character count. */
export function heldOutBits(
  model: CharModel,
  vocab: CharVocab,
  texts: readonly string[],
): { bitsPerChar: number; bits: number; chars: number } {
  const sequences = texts.map((t) => vocab.encode(t));
  const out = model.surprisal(sequences);
  let bits = 0;
  let chars = 0;
  sequences.forEach((s, i) => {
    const row = out[i];
    if (!row || row.length !== s.length) {
      throw new ValueError(`heldOutBits: ${model.name} gave ${row?.length ?? 'no'} values for a sequence of ${s.length} characters`);
    }
    for (const b of row) bits += b;
    chars += s.length;
  });
  if (chars === 0) throw new ValueError('heldOutBits: no characters to score');
  return { bitsPerChar: bits / chars, bits, chars };
}

/** The information content −log₂ p of each character of one text under a model. */
export function characterBits(model: CharModel, vocab: CharVocab, text: string): Array<{ char: string; bits: number }> {
  const [bits = []] = model.surprisal([vocab.encode(text)]);
  return Array.from(text, (char, i) => ({ char, bits: bits[i]! }));
}

/** Counts of each character id in the training texts (index = id; specials 0 but UNK). */
function unigramCounts(vocab: CharVocab, texts: readonly string[]): Float64Array {
  const counts = new Float64Array(vocab.size);
  for (const t of texts) for (const id of vocab.encode(t)) counts[id]!++;
  return counts;
}

/**
 * Every character equally likely: log₂ V bits each, V = the training characters and the unknown
 * one ({@link CharVocab.outcomes}).
 */
export function uniformModel(vocab: CharVocab): CharModel {
  const bits = Math.log2(vocab.outcomes);
  return { name: 'uniform', surprisal: (seqs) => seqs.map((s) => s.map(() => bits)) };
}

/**
 * The training character distribution with add-α smoothing: p(c) = (n_c + α) / (N + α·V), over
 * the V training characters and the unknown one (n = 0), so a character never seen in training
 * costs log₂((N + αV)/α) bits rather than infinitely many. Context is ignored.
 */
export function unigramModel(
  vocab: CharVocab,
  trainTexts: readonly string[],
  o: { alpha?: number } = {},
): CharModel & { probs: Float64Array } {
  const alpha = o.alpha ?? 1;
  if (!(alpha > 0)) throw new ValueError(`unigramModel: alpha must be > 0, got ${alpha}`);
  const counts = unigramCounts(vocab, trainTexts);
  const n = counts.reduce((a, b) => a + b, 0);
  const denom = n + alpha * vocab.outcomes;
  const probs = new Float64Array(vocab.size);
  for (let id = 0; id < vocab.size; id++) if (id === UNK || id > 2) probs[id] = (counts[id]! + alpha) / denom;
  return { name: 'unigram', probs, surprisal: (seqs) => seqs.map((s) => s.map((id) => -Math.log2(probs[id]!))) };
}

/**
 * H(X) of the training character distribution, p(c) = n_c / N, in bits (docs/tutorial.md §1.2),
 * computed by @gd/losses' `entropy`.
 */
export function trainingEntropy(vocab: CharVocab, trainTexts: readonly string[]): number {
  const counts = unigramCounts(vocab, trainTexts);
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) throw new ValueError('trainingEntropy: the training texts hold no characters');
  const p = Array.from(
    counts.filter((c) => c > 0),
    (c) => c / n,
  );
  return entropy(p, { base: 2 });
}

/**
 * Character bigrams, interpolated with the add-α unigram by Witten–Bell:
 * p(c | h) = (n(h, c) + T(h)·p₁(c)) / (n(h) + T(h)), where n(h) counts the characters that follow
 * h in training, T(h) how many different ones. The first character's h is the start token; an h
 * never followed in training (n(h) = 0) falls back to p₁.
 */
export function bigramModel(vocab: CharVocab, trainTexts: readonly string[], o: { alpha?: number } = {}): CharModel {
  const uni = unigramModel(vocab, trainTexts, o).probs;
  const pairs = new Map<number, Map<number, number>>();
  for (const t of trainTexts) {
    let h = BOS;
    for (const c of vocab.encode(t)) {
      let row = pairs.get(h);
      if (!row) pairs.set(h, (row = new Map()));
      row.set(c, (row.get(c) ?? 0) + 1);
      h = c;
    }
  }
  const totals = new Map([...pairs].map(([h, row]) => [h, [...row.values()].reduce((a, b) => a + b, 0)]));
  const prob = (h: number, c: number): number => {
    const row = pairs.get(h);
    if (!row) return uni[c]!;
    const n = totals.get(h)!;
    return ((row.get(c) ?? 0) + row.size * uni[c]!) / (n + row.size);
  };
  return {
    name: 'bigram',
    surprisal: (seqs) => seqs.map((s) => s.map((c, i) => -Math.log2(prob(i === 0 ? BOS : s[i - 1]!, c)))),
  };
}
