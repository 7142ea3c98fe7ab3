// A small decoder-only character Transformer (GPT-style): token and position embeddings, pre-norm
// blocks of causal self-attention and an MLP, a final LayerNorm, and logits through the token
// embedding again (tied weights).
import { asVariable, type Variable, type VariableLike } from '@gd/autograd';
import { Dropout, Embedding, GELU, init, LayerNorm, Linear, Module, Sequential } from '@gd/nn';
import { arange, Tensor, ValueError } from '@gd/tensor';
import { CausalSelfAttention } from './attention.js';

/** The sizes of a CharTransformer. */
export interface TransformerConfig {
  /** Ids in the vocabulary. */
  vocabSize: number;
  /** Longest input, in tokens (the start token and the characters after it). */
  contextLength: number;
  /** Width of every token's vector. */
  dModel: number;
  /** Attention heads per block. */
  numHeads: number;
  /** Blocks. */
  numLayers: number;
  /** Dropout after attention and MLP, in training mode (default 0). */
  dropout?: number;
}

/** x + attention(norm1(x)), then x + mlp(norm2(x)): a pre-norm Transformer block. */
export class TransformerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attention: CausalSelfAttention;
  readonly drop1: Dropout;
  readonly norm2: LayerNorm;
  readonly mlp: Sequential;
  readonly drop2: Dropout;

  constructor(dModel: number, numHeads: number, dropout = 0) {
    super();
    this.norm1 = new LayerNorm(dModel);
    this.attention = new CausalSelfAttention(dModel, numHeads);
    this.drop1 = new Dropout(dropout);
    this.norm2 = new LayerNorm(dModel);
    this.mlp = new Sequential(new Linear(dModel, 4 * dModel), new GELU(), new Linear(4 * dModel, dModel));
    this.drop2 = new Dropout(dropout);
  }

  forward(x: VariableLike): Variable {
    const a = asVariable(x).add(this.drop1.forward(this.attention.forward(this.norm1.forward(x))));
    return a.add(this.drop2.forward(this.mlp.forward(this.norm2.forward(a))));
  }
}

/**
 * Next-character logits for int32 token ids [batch, time]: [batch, time, vocabSize], position t
 * seeing tokens ≤ t only. Embeddings start as N(0, 0.02²), as in GPT-2.
 *
 * @example
 * ```ts
 * const m = new CharTransformer({ vocabSize: 100, contextLength: 26, dModel: 64, numHeads: 4, numLayers: 2 });
 * m.forward(tensor([[1, 5, 9]], { dtype: 'int32' })).shape; // [1, 3, 100]
 * ```
 */
export class CharTransformer extends Module {
  readonly config: Readonly<TransformerConfig>;
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: Embedding;
  readonly drop: Dropout;
  readonly blocks: Sequential;
  readonly norm: LayerNorm;

  constructor(config: TransformerConfig) {
    super();
    for (const k of ['vocabSize', 'contextLength', 'dModel', 'numHeads', 'numLayers'] as const) {
      const v = config[k];
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`CharTransformer: ${k} must be a positive integer, got ${v}`);
    }
    const p = config.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new ValueError(`CharTransformer: dropout must be in [0, 1), got ${p}`);
    this.config = { ...config, dropout: p };
    this.tokenEmbedding = new Embedding(config.vocabSize, config.dModel);
    this.positionEmbedding = new Embedding(config.contextLength, config.dModel);
    init.normal(this.tokenEmbedding.weight, 0, 0.02);
    init.normal(this.positionEmbedding.weight, 0, 0.02);
    this.drop = new Dropout(p);
    this.blocks = new Sequential(
      ...Array.from({ length: config.numLayers }, () => new TransformerBlock(config.dModel, config.numHeads, p)),
    );
    this.norm = new LayerNorm(config.dModel);
  }

  forward(ids: VariableLike): Variable {
    const h = this.norm.forward(this.blocks.forward(this.embed(ids, 'CharTransformer')));
    return h.matmul(this.tokenEmbedding.weight, { transposeB: true });
  }

  /**
   * The attention weights of block `layer` (0-based) for int32 token ids [batch, time]:
   * [batch, numHeads, time, time], row t of a head spreading position t's attention over
   * positions 0…t — the weights the block's attention mixes with in forward().
   */
  attentionWeights(ids: VariableLike, layer: number): Variable {
    const n = this.config.numLayers;
    if (!Number.isInteger(layer) || layer < 0 || layer >= n) {
      throw new ValueError(`CharTransformer.attentionWeights: layer must be an integer in [0, ${n}), got ${layer}`);
    }
    let x = this.embed(ids, 'CharTransformer.attentionWeights');
    const blocks = this.blocks.layers as TransformerBlock[];
    for (let i = 0; i < layer; i++) x = blocks[i]!.forward(x);
    const block = blocks[layer]!;
    return block.attention.attentionWeights(block.norm1.forward(x));
  }

  /** Token plus position embeddings of checked ids, after dropout: the first block's input. */
  private embed(ids: VariableLike, op: string): Variable {
    if (!(ids instanceof Tensor) || ids.dtype !== 'int32' || ids.rank !== 2) {
      throw new ValueError(
        `${op}: expected int32 token ids [batch, time], got ${ids instanceof Tensor ? `${ids.dtype} [${ids.shape.join(', ')}]` : typeof ids}`,
      );
    }
    const t = ids.shape[1]!;
    if (t > this.config.contextLength) {
      throw new ValueError(`${op}: ${t} tokens are more than the context length ${this.config.contextLength}`);
    }
    const positions = arange(0, t, 1, 'int32');
    return this.drop.forward(this.tokenEmbedding.forward(ids).add(this.positionEmbedding.forward(positions)));
  }
}
