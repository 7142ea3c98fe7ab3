import { GdError, memory, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  bigramModel,
  type CharModel,
  characterBits,
  heldOutBits,
  trainingEntropy,
  uniformModel,
  unigramModel,
} from '../src/poems/baselines.js';
import { formReport } from '../src/poems/checks.js';
import type { Quatrain } from '../src/poems/corpus.js';
import { splitPoems } from '../src/poems/split.js';
import { BOS, CharVocab, EOS, UNK } from '../src/poems/vocab.js';
import { loadTangQuatrains } from '../src/tang.js';

const fails = failsWith(memory, GdError);
const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b) <= tol, `${a} vs ${b}`).toBe(true);

// Three tiny training poems and one held-out one, small enough to count by hand:
// characters a ×3, b ×3 (N = 6); V = {a, b, unknown} = 3 outcomes.
const train = ['aab', 'ab', 'b'];
const vocab = CharVocab.fromTexts(train);

describe('the character vocabulary', () => {
  it('puts the specials first, then characters by frequency and code point', () => {
    const v = CharVocab.fromTexts(['白日依山盡', '山']);
    expect(v.chars).toEqual(['<unk>', '<s>', '</s>', '山', '依', '日', '白', '盡']);
    expect([UNK, BOS, EOS]).toEqual([0, 1, 2]);
    expect(v.encode('白山水')).toEqual([6, 3, UNK]);
    expect(v.decode([BOS, 6, 3, UNK, EOS])).toBe('白山□');
    expect(v.outcomes).toBe(6);
    expect(CharVocab.fromChars(v.chars).encode('盡依')).toEqual([7, 4]);
  });
  it('names bad ids and a bad saved vocabulary', () => {
    fails(() => vocab.decode([9]), ValueError, /CharVocab.decode: id 9 is outside \[0, 5\)/);
    fails(() => CharVocab.fromChars(['a', 'b', 'c']), ValueError, /CharVocab.fromChars: expected <unk>, <s>, <\/s> first, got a, b, c/);
  });
});

describe('baselines in bits per character, on three poems counted by hand', () => {
  it('uniform: log₂ 3 bits for every character', () => {
    close(heldOutBits(uniformModel(vocab), vocab, ['ac', 'b']).bitsPerChar, Math.log2(3));
  });
  it("H(X) of the training characters: a and b half each, 1 bit; a skewed corpus's by the formula", () => {
    close(trainingEntropy(vocab, train), 1, 1e-6);
    // a ×3, b ×1: H = −(¾ log₂ ¾ + ¼ log₂ ¼)
    close(trainingEntropy(CharVocab.fromTexts(['aaab']), ['aaab']), -(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25)), 1e-6);
  });
  it('unigram with add-one: p(a) = p(b) = 4/9, p(unknown) = 1/9', () => {
    const m = unigramModel(vocab, train);
    // 'ac': −log₂(4/9) − log₂(1/9) over 2 characters
    const r = heldOutBits(m, vocab, ['ac']);
    expect(r.chars).toBe(2);
    close(r.bitsPerChar, (Math.log2(9 / 4) + Math.log2(9)) / 2);
    // add-½: (3 + ½)/(6 + 3/2) and ½/(6 + 3/2)
    close(heldOutBits(unigramModel(vocab, train, { alpha: 0.5 }), vocab, ['ac']).bitsPerChar, (Math.log2(7.5 / 3.5) + Math.log2(15)) / 2);
    close(
      m.probs.reduce((a, b) => a + b, 0),
      1,
    );
  });
  it('bigram, Witten–Bell: after the start token a ×2, b ×1 (2 kinds); after a: a ×1, b ×2 (2 kinds); b is never followed', () => {
    const m = bigramModel(vocab, train);
    // p(a | <s>) = (2 + 2·4/9)/(3 + 2) = 26/45; p(unknown | a) = (0 + 2·1/9)/(3 + 2) = 2/45
    close(heldOutBits(m, vocab, ['ac']).bitsPerChar, (Math.log2(45 / 26) + Math.log2(45 / 2)) / 2);
    // p(b | b) falls back to the unigram, 4/9; p(b | a) = (2 + 2·4/9)/5 = 26/45
    const [bits] = m.surprisal([vocab.encode('abb')]);
    close(bits![1]!, Math.log2(45 / 26));
    close(bits![2]!, Math.log2(9 / 4));
  });
  it('every model gives a distribution: the probabilities of all outcomes after a context add up to 1', () => {
    for (const m of [uniformModel(vocab), unigramModel(vocab, train), bigramModel(vocab, train)] as CharModel[]) {
      for (const prefix of [[], [3], [4], [UNK]]) {
        const total = [UNK, 3, 4].reduce((s, c) => s + 2 ** -m.surprisal([[...prefix, c]])[0]!.at(-1)!, 0);
        close(total, 1, 1e-12);
      }
    }
  });
  it('the per-character information content of a text, and what a model owes', () => {
    const bits = characterBits(unigramModel(vocab, train), vocab, 'ba');
    expect(bits.map((b) => b.char)).toEqual(['b', 'a']);
    close(bits[0]!.bits, Math.log2(9 / 4));
    const broken: CharModel = { name: 'broken', surprisal: (s) => s.map(() => [1]) };
    fails(() => heldOutBits(broken, vocab, ['aab']), ValueError, /heldOutBits: broken gave 1 values for a sequence of 3 characters/);
    fails(() => heldOutBits(broken, vocab, []), ValueError, /heldOutBits: no characters to score/);
  });
});

describe('the split', () => {
  const q = (text: string): Quatrain => ({ text, author: '', title: '', form: 5 });
  const poems = Array.from({ length: 40 }, (_, i) =>
    q(`${String.fromCharCode(0x4e00 + i).repeat(5)}，二二二二二。三三三三三，四四四四四。`),
  );
  it('holds out a tenth of the distinct poems, seeded, and no text on both sides', () => {
    const twin = poems[7]!;
    const a = splitPoems([...poems, twin], { seed: 3 });
    expect(a.duplicates).toBe(1);
    expect(a.heldOut.length).toBe(4);
    expect(a.train.length).toBe(36);
    const heldTexts = new Set(a.heldOut.map((p) => p.text));
    expect(a.train.some((p) => heldTexts.has(p.text))).toBe(false);
    expect(splitPoems(poems, { seed: 3 }).heldOut).toEqual(a.heldOut);
    expect(splitPoems(poems, { seed: 4 }).heldOut).not.toEqual(a.heldOut);
  });
  it('holds out a chosen poem on purpose', () => {
    for (const seed of [1, 2, 3]) {
      const s = splitPoems(poems, { seed, holdOut: [poems[0]!.text] });
      expect(s.heldOut.map((p) => p.text)).toContain(poems[0]!.text);
      expect(s.heldOut.length).toBe(4);
    }
    fails(() => splitPoems(poems, { seed: 1, holdOut: ['x'] }), ValueError, /splitPoems: holdOut text "x" is not in the corpus/);
    fails(() => splitPoems(poems, { seed: 1, heldOut: 1 }), ValueError, /splitPoems: heldOut must be a share in \(0, 1\), got 1/);
  });
});

describe('form and copying of samples', () => {
  it('counts well-formed quatrains and lines copied from training', () => {
    const trainTexts = ['千山鳥飛絕，萬逕人蹤滅。孤舟蓑笠翁，獨釣寒江雪。'];
    const r = formReport(
      [
        '千山鳥飛絕，萬里無雲天。孤舟蓑笠翁，明月照江雪。', // well-formed, 2 lines copied
        '千山鳥飛絕。萬逕人蹤滅', // not well-formed, 2 lines copied
        '春風不度玉門關，一片孤城萬仞山。羌笛何須怨楊柳，黃河遠上白雲間。', // well-formed (7), none copied
      ],
      trainTexts,
    );
    expect(r).toEqual({ samples: 3, wellFormed: 2, lines: 10, copiedLines: 4 });
  });
});

describe('the baselines on the five-character quatrains', () => {
  it('each knows more than the one before: uniform > unigram > bigram bits per held-out character', () => {
    const { train: tr, heldOut } = splitPoems(loadTangQuatrains(5), { seed: 42 });
    const texts = tr.map((p) => p.text);
    const v = CharVocab.fromTexts(texts);
    const held = heldOut.map((p) => p.text);
    const [u, g1, g2] = [uniformModel(v), unigramModel(v, texts), bigramModel(v, texts)].map((m) => heldOutBits(m, v, held).bitsPerChar);
    expect(u! > g1! && g1! > g2!, `${u} ${g1} ${g2}`).toBe(true);
    // the held-out unigram cross-entropy exceeds the training H(X) (Gibbs' inequality, plus unseen characters)
    expect(g1! > trainingEntropy(v, texts)).toBe(true);
  });
});
