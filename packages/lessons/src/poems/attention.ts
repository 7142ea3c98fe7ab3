// Causal multi-head self-attention, built from Linear, matmul and softmax. It is one small module
// with one forward(x) so that @gd/nn's MultiheadAttention can take its place.
import { asVariable, type Variable, type VariableLike } from '@gd/autograd';
import { Linear, Module } from '@gd/nn';
import { type Tensor, tensor, ValueError } from '@gd/tensor';

/**
 * Self-attention over [batch, time, dModel] in which position t sees positions ≤ t only:
 * softmax(q·kᵀ/√d + M)·v per head, M the causal mask (0 on and below the diagonal, −∞ above),
 * a constant added to the scores. `qkv` projects to queries, keys and values at once, `proj`
 * mixes the heads back.
 */
export class CausalSelfAttention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;

  constructor(
    readonly dModel: number,
    readonly numHeads: number,
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || dModel % numHeads !== 0) {
      throw new ValueError(`CausalSelfAttention: dModel ${dModel} must be a multiple of numHeads, got ${numHeads}`);
    }
    this.qkv = new Linear(dModel, 3 * dModel);
    this.proj = new Linear(dModel, dModel);
  }

  /**
   * The [t, t] mask of 0 (may attend) and −∞ (the future). It is made on each call, in the
   * caller's scope, so that nothing outlives the step that used it.
   */
  causalMask(t: number): Tensor {
    const v = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) v[i * t + j] = Number.NEGATIVE_INFINITY;
    return tensor(v, { shape: [t, t] });
  }

  forward(x: VariableLike): Variable {
    const { weights, values, b, t } = this.attend(x, 'CausalSelfAttention');
    const heads = weights.matmul(values); // [b, h, t, d]
    return this.proj.forward(heads.transpose([0, 2, 1, 3]).reshape([b, t, this.dModel]));
  }

  /**
   * The attention weights softmax(q·kᵀ/√d + M) of every head, [batch, numHeads, time, time]: row t
   * of head h is how position t spreads its attention over positions 0…t (each row sums to 1,
   * and is 0 after t). They are the weights forward() mixes the values with.
   */
  attentionWeights(x: VariableLike): Variable {
    return this.attend(x, 'CausalSelfAttention.attentionWeights').weights;
  }

  private attend(x: VariableLike, op: string): { weights: Variable; values: Variable; b: number; t: number } {
    const v = asVariable(x);
    if (v.rank !== 3 || v.shape[2] !== this.dModel) {
      throw new ValueError(`${op}: expected input [batch, time, ${this.dModel}], got [${v.shape.join(', ')}]`);
    }
    const [b, t] = v.shape as [number, number, number];
    const h = this.numHeads;
    const d = this.dModel / h;
    // [b, t, 3, h, d] → [3, b, h, t, d]
    const qkv = this.qkv.forward(v).reshape([b, t, 3, h, d]).transpose([2, 0, 3, 1, 4]);
    const part = (i: number) => qkv.slice([i, 0, 0, 0, 0], [1, b, h, t, d]).reshape([b, h, t, d]);
    const scores = part(0)
      .matmul(part(1), { transposeB: true })
      .mul(1 / Math.sqrt(d))
      .add(this.causalMask(t));
    return { weights: scores.softmax(-1), values: part(2), b, t };
  }
}
