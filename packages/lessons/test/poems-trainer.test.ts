import type { Variable } from '@gd/autograd';
import { GdError, manualSeed, memory, randn, StateError, scope, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { CausalSelfAttention } from '../src/poems/attention.js';
import { CharTransformerTrainer, trainCharTransformer, transformerCharModel } from '../src/poems/train.js';
import { CharTransformer, type TransformerBlock } from '../src/poems/transformer.js';
import { BOS, CharVocab } from '../src/poems/vocab.js';
import { loadTangQuatrains } from '../src/tang.js';

const fails = failsWith(memory, GdError);

/** softmax(q·kᵀ/√d) over positions ≤ t of every head, in plain float64 JS from the module's weights. */
function referenceWeights(a: CausalSelfAttention, x: number[][][]): number[][][][] {
  const W = a.qkv.weight.toArray() as number[][];
  const bias = a.qkv.bias!.toArray() as number[];
  const c = a.dModel;
  const d = c / a.numHeads;
  return x.map((seq) => {
    const p = seq.map((v) => W.map((row, o) => row.reduce((s, wi, i) => s + wi * v[i]!, bias[o]!)));
    return Array.from({ length: a.numHeads }, (_, h) =>
      seq.map((_, t) => {
        const q = p[t]!.slice(h * d, (h + 1) * d);
        const scores = p.map((r, j) =>
          j > t ? Number.NEGATIVE_INFINITY : r.slice(c + h * d, c + (h + 1) * d).reduce((s, k, i) => s + k * q[i]!, 0) / Math.sqrt(d),
        );
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((s, v) => s + v, 0);
        return e.map((v) => v / z);
      }),
    );
  });
}

const maxDiff = (a: number[], b: number[]) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), a.length === b.length ? 0 : Number.NaN);

describe('attention weights', () => {
  it('are the softmax forward() mixes with: a plain-JS float64 reference, rows summing to 1, 0 after the diagonal', () => {
    manualSeed(11);
    const a = new CausalSelfAttention(8, 2);
    const x = randn([2, 4, 8]);
    const got = scope(() => a.attentionWeights(x).toArray()) as number[][][][];
    const want = referenceWeights(a, x.toArray() as number[][][]);
    const err = maxDiff(got.flat(3), want.flat(3));
    expect(err <= 1e-6, String(err)).toBe(true);
    for (const row of got.flat(2)) expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1) <= 1e-6).toBe(true);
    got.flat(2).forEach((row, r) => {
      const t = r % 4;
      for (let j = t + 1; j < 4; j++) expect(row[j]).toBe(0);
    });
    const flat = randn([4, 8]);
    fails(
      () => a.attentionWeights(flat),
      ValueError,
      /CausalSelfAttention.attentionWeights: expected input \[batch, time, 8\], got \[4, 8\]/,
    );
    a.dispose();
  });
  it('of a chosen block of the Transformer are that block’s attention over its normalised input', () => {
    manualSeed(12);
    const m = new CharTransformer({ vocabSize: 20, contextLength: 6, dModel: 16, numHeads: 4, numLayers: 2 }).eval();
    const ids = tensor([[BOS, 5, 7, 9, 11]], { dtype: 'int32' });
    const blocks = m.blocks.layers as TransformerBlock[];
    for (const layer of [0, 1]) {
      const got = scope(() => m.attentionWeights(ids, layer).toArray()) as number[][][][];
      // the block's input, built by hand: token + position embeddings, then the blocks before it
      const input = scope(() => {
        let h: Variable = m.tokenEmbedding.forward(ids).add(m.positionEmbedding.forward(tensor([0, 1, 2, 3, 4], { dtype: 'int32' })));
        for (let i = 0; i < layer; i++) h = blocks[i]!.forward(h);
        return blocks[layer]!.norm1.forward(h).toArray();
      }) as number[][][];
      const want = referenceWeights(blocks[layer]!.attention, input);
      const err = maxDiff(got.flat(3), want.flat(3));
      expect(got[0]!.length).toBe(4);
      expect(err <= 1e-5, `layer ${layer}: ${err}`).toBe(true);
    }
    fails(() => m.attentionWeights(ids, 2), ValueError, /CharTransformer.attentionWeights: layer must be an integer in \[0, 2\), got 2/);
    const floats = tensor([[1, 2]]);
    fails(() => m.attentionWeights(floats, 0), ValueError, /CharTransformer.attentionWeights: expected int32 token ids/);
    m.dispose();
  });
});

describe('training step by step', () => {
  const texts = loadTangQuatrains(5)
    .slice(0, 96)
    .map((p) => p.text);
  const vocab = CharVocab.fromTexts(texts);
  const o = { seed: 9, epochs: 2, batchSize: 16, warmupSteps: 3, model: { dModel: 16, numLayers: 1, numHeads: 2 } };

  it('stopped and resumed, with held-out scoring in between, gives trainCharTransformer’s run bit for bit', () => {
    const before = memory();
    const whole = trainCharTransformer(vocab, texts, o);
    const wholeWeights = whole.model.parameters().map((p) => Array.from(p.data()));
    const trainer = new CharTransformerTrainer(vocab, texts, o);
    expect(trainer.steps).toBe(12);
    const reports = [];
    while (!trainer.complete) {
      reports.push(trainer.next());
      // a pause: the page scores held-out poems between steps
      if (trainer.step % 5 === 0) transformerCharModel(trainer.model).surprisal([vocab.encode(texts[0]!)]);
    }
    expect(reports.map((r) => r.bits)).toEqual(whole.losses);
    expect(reports.map((r) => r.epoch)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    expect(reports.at(-1)!.step).toBe(12);
    const model = trainer.finish();
    expect(model.parameters().map((p) => Array.from(p.data()))).toEqual(wholeWeights);
    fails(() => trainer.next(), StateError, /CharTransformerTrainer.next: the run's 12 steps are done/);
    model.dispose();
    whole.model.dispose();
    expect([memory().tensors, memory().bytesInUse]).toEqual([before.tensors, before.bytesInUse]);
  });
});
