import { gradcheck, type Variable } from '@gd/autograd';
import { crossEntropy } from '@gd/losses';
import { GdError, manualSeed, memory, randn, scope, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { CausalSelfAttention } from '../src/poems/attention.js';
import { bigramModel, heldOutBits } from '../src/poems/baselines.js';
import { splitPoems } from '../src/poems/split.js';
import { encodePoems, samplePoems, trainCharTransformer, transformerCharModel } from '../src/poems/train.js';
import { CharTransformer } from '../src/poems/transformer.js';
import { BOS, CharVocab, EOS } from '../src/poems/vocab.js';
import { loadTangQuatrains } from '../src/tang.js';

const fails = failsWith(memory, GdError);

/** Causal attention in plain float64 JS from the module's weights: the reference. */
function referenceAttention(a: CausalSelfAttention, x: number[][][]): number[][][] {
  const w = (l: { weight: Variable; bias: Variable | null }) => ({ W: l.weight.toArray() as number[][], b: l.bias!.toArray() as number[] });
  const lin = ({ W, b }: { W: number[][]; b: number[] }, v: number[]) => W.map((row, o) => row.reduce((s, wi, i) => s + wi * v[i]!, b[o]!));
  const qkv = w(a.qkv);
  const proj = w(a.proj);
  const c = a.dModel;
  const d = c / a.numHeads;
  return x.map((seq) => {
    const p = seq.map((v) => lin(qkv, v));
    return seq.map((_, t) => {
      const heads: number[] = [];
      for (let h = 0; h < a.numHeads; h++) {
        const q = p[t]!.slice(h * d, (h + 1) * d);
        const scores = p
          .slice(0, t + 1)
          .map((r) => r.slice(c + h * d, c + (h + 1) * d).reduce((s, k, i) => s + k * q[i]!, 0) / Math.sqrt(d));
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((s, v) => s + v, 0);
        for (let i = 0; i < d; i++) heads.push(e.reduce((s, ej, j) => s + (ej / z) * p[j]![2 * c + h * d + i]!, 0));
      }
      return lin(proj, heads);
    });
  });
}

describe('causal self-attention', () => {
  it('agrees with a plain-JS float64 reference, 2 heads', () => {
    manualSeed(1);
    const a = new CausalSelfAttention(4, 2);
    const x = randn([2, 3, 4]);
    const got = scope(() => a.forward(x).toArray()) as number[][][];
    const want = referenceAttention(a, x.toArray() as number[][][]);
    const err = Math.max(...got.flat(2).map((g, i) => Math.abs(g - want.flat(2)[i]!)));
    expect(err <= 1e-5, String(err)).toBe(true);
  });
  it('a position never sees the ones after it', () => {
    manualSeed(2);
    const a = new CausalSelfAttention(8, 2);
    const x = randn([1, 5, 8]).data();
    const y0 = scope(() => a.forward(tensor(x, { shape: [1, 5, 8] })).data());
    for (let i = 4 * 8; i < 5 * 8; i++) x[i]! += 10; // change only the last position
    const y1 = scope(() => a.forward(tensor(x, { shape: [1, 5, 8] })).data());
    for (let i = 0; i < 4 * 8; i++) expect(y1[i]).toBe(y0[i]);
    expect(Array.from(y1.slice(32)).some((v, i) => v !== y0[32 + i])).toBe(true);
  });
  it('its gradient matches finite differences (float64 input, −∞ mask included)', () => {
    manualSeed(3);
    const a = new CausalSelfAttention(4, 2);
    const x = randn([2, 3, 4], { dtype: 'float64' });
    scope(() => {
      const r = gradcheck((xi: Variable) => a.forward(xi).square().sum(), [x]);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
  });
  it('names a bad shape', () => {
    fails(() => new CausalSelfAttention(6, 4), ValueError, /CausalSelfAttention: dModel 6 must be a multiple of numHeads, got 4/);
    const a = new CausalSelfAttention(4, 2);
    const x = randn([3, 4]);
    fails(() => a.forward(x), ValueError, /CausalSelfAttention: expected input \[batch, time, 4\], got \[3, 4\]/);
  });
});

describe('the character Transformer', () => {
  const config = { vocabSize: 20, contextLength: 6, dModel: 16, numHeads: 2, numLayers: 2 };
  it('is causal end to end, and its surprisal is the cross-entropy in bits', () => {
    manualSeed(4);
    const m = new CharTransformer(config).eval();
    const ids = [BOS, 5, 7, 9, 11, 13];
    const full = scope(() => m.forward(tensor([ids], { dtype: 'int32' })).data());
    const short = scope(() => m.forward(tensor([ids.slice(0, 3)], { dtype: 'int32' })).data());
    for (let i = 0; i < short.length; i++) expect(Math.abs(short[i]! - full[i]!) <= 1e-5).toBe(true);
    // −Σ log₂ p over the five targets equals crossEntropy (nats, mean) × 5 / ln 2
    const [bits] = transformerCharModel(m).surprisal([ids.slice(1)]);
    const nats = scope(() =>
      crossEntropy(
        m.forward(tensor([ids.slice(0, 5)], { dtype: 'int32' })).reshape([5, 20]),
        tensor(ids.slice(1), { dtype: 'int32' }),
      ).item(),
    );
    const total = bits!.reduce((s, b) => s + b, 0);
    expect(Math.abs(total - (5 * nats) / Math.LN2) <= 1e-4, `${total} vs ${(5 * nats) / Math.LN2}`).toBe(true);
    m.dispose();
  });
  it('names bad ids and sizes', () => {
    const m = new CharTransformer(config);
    const floats = tensor([[1, 2]]);
    const long = tensor([[1, 2, 3, 4, 5, 6, 7]], { dtype: 'int32' });
    fails(() => m.forward(floats), ValueError, /CharTransformer: expected int32 token ids \[batch, time\], got float32 \[1, 2\]/);
    fails(() => m.forward(long), ValueError, /7 tokens are more than the context length 6/);
    fails(
      () => new CharTransformer({ ...config, numLayers: 0 }),
      ValueError,
      /CharTransformer: numLayers must be a positive integer, got 0/,
    );
    m.dispose();
  });
});

describe('training and sampling', () => {
  it('learns one poem by heart: low-temperature samples reproduce it and stop at the end token; memory stays flat', () => {
    const poem = '千山鳥飛絕，萬逕人蹤滅。孤舟蓑笠翁，獨釣寒江雪。';
    const vocab = CharVocab.fromTexts([poem]);
    const inUse: number[] = [];
    const before = memory();
    const { model, losses } = trainCharTransformer(vocab, Array(32).fill(poem), {
      seed: 5,
      epochs: 40,
      batchSize: 8,
      lr: 1e-2,
      warmupSteps: 10,
      model: { dModel: 32, numLayers: 1, numHeads: 2 },
      onStep: () => inUse.push(memory().bytesInUse),
    });
    expect(losses.length).toBe(160);
    expect(losses.at(-1)! < 0.05, String(losses.at(-1))).toBe(true);
    // after the first steps (the optimizer's state, the mask), not one byte more per step
    expect(new Set(inUse.slice(2)).size).toBe(1);
    const samples = samplePoems(model, vocab, { count: 3, seed: 1, temperature: 0.5 });
    expect(samples).toEqual([poem, poem, poem]);
    model.dispose();
    // training, sampling and disposing the model leave no tensor and no byte behind
    expect([memory().tensors, memory().bytesInUse]).toEqual([before.tensors, before.bytesInUse]);
  });
  it('samples are seeded: the same seed the same poems, another seed others', () => {
    const texts = loadTangQuatrains(5)
      .slice(0, 64)
      .map((p) => p.text);
    const vocab = CharVocab.fromTexts(texts);
    const { model } = trainCharTransformer(vocab, texts, {
      seed: 6,
      epochs: 1,
      batchSize: 16,
      model: { dModel: 16, numLayers: 1, numHeads: 2 },
    });
    // the caller's stream goes on as if no poem had been drawn
    manualSeed(123);
    const straight = scope(() => Array.from(randn([4]).data()));
    manualSeed(123);
    const a = samplePoems(model, vocab, { count: 4, seed: 7, temperature: 1.5 });
    expect(scope(() => Array.from(randn([4]).data()))).toEqual(straight);
    expect(samplePoems(model, vocab, { count: 4, seed: 7, temperature: 1.5 })).toEqual(a);
    expect(samplePoems(model, vocab, { count: 4, seed: 8, temperature: 1.5 })).not.toEqual(a);
    for (const s of a) expect([...s].length).toBeLessThanOrEqual(model.config.contextLength);
    fails(
      () => samplePoems(model, vocab, { count: 1, seed: 1, temperature: 0 }),
      ValueError,
      /samplePoems: temperature must be > 0, got 0/,
    );
    model.dispose();
  });
  it('encodes poems of one length between the start and end tokens', () => {
    const v = CharVocab.fromTexts(['ab', 'ba']);
    expect(Array.from(encodePoems(v, ['ab', 'ba']).ids)).toEqual([BOS, 3, 4, EOS, BOS, 4, 3, EOS]);
    fails(() => encodePoems(v, ['ab', 'abb']), ValueError, /encodePoems: poem 1 has 3 characters, the first has 2/);
  });
  it('a short run on 400 quatrains beats their bigram on the held-out ones', () => {
    const { train, heldOut } = splitPoems(loadTangQuatrains(5).slice(0, 400), { seed: 1 });
    const texts = train.map((p) => p.text);
    const held = heldOut.map((p) => p.text);
    const vocab = CharVocab.fromTexts(texts);
    const { model } = trainCharTransformer(vocab, texts, {
      seed: 1,
      epochs: 6,
      batchSize: 16,
      lr: 5e-3,
      warmupSteps: 20,
      model: { dModel: 32, numLayers: 1, numHeads: 2 },
    });
    const bigram = heldOutBits(bigramModel(vocab, texts), vocab, held).bitsPerChar;
    const transformer = heldOutBits(transformerCharModel(model), vocab, held).bitsPerChar;
    expect(transformer < bigram, `transformer ${transformer} vs bigram ${bigram}`).toBe(true);
    model.dispose();
  });
});
