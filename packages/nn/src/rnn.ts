// Recurrent layers: RNN (tanh or ReLU), LSTM and GRU, with PyTorch's gate order, state-dict keys
// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, the _reverse suffix) and init
// (every parameter U(−1/√hidden, 1/√hidden)). RNN and GRU: each time step does its input
// projection x_t·W_ihᵀ + b, the matmul by W_hh and the gate math (for GRU one fused cell kernel,
// gruCell of @gd/autograd); the steps are separate Variables from the input on, so no step's
// gradient has the whole sequence's shape. LSTM: each layer and direction projects the whole
// sequence at once (X·W_ihᵀ + b, one product) and runs its recurrence as one op (lstmSequence of
// @gd/autograd: per step a product by W_hh and the fused cell; its backward, W_hh's gradient as
// one product over the sequence).
import { asVariable, concat, gruCell, lstmSequence, stack, type Variable, type VariableLike } from '@gd/autograd';
import { dropoutMask, type FloatDType, fmtShape, ShapeError, ValueError, zeros } from '@gd/tensor';
import { init } from './init.js';
import { layerDtype, parameter, typeOf } from './layers.js';
import { Module } from './module.js';
import { type OptionKeys, optionsOf } from './options.js';

/** Options of RNN, LSTM and GRU (PyTorch's defaults). */
export interface RNNOptions {
  /** Stacked recurrent layers (default 1); each takes the previous one's output sequence. */
  numLayers?: number;
  /** Biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] (default false: [seq, batch, feature]); h0/hN are not affected. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** A second pass over the sequence in reverse; outputs concatenate both (default false). */
  bidirectional?: boolean;
  /** float32 (default) or float64 parameters. */
  dtype?: FloatDType;
}

/** Options of RNN: RNNOptions and the nonlinearity. */
export interface SimpleRNNOptions extends RNNOptions {
  /** h' = tanh(…) (default) or relu(…). */
  nonlinearity?: 'tanh' | 'relu';
}

const RNN_KEYS: OptionKeys<RNNOptions> = { numLayers: true, bias: true, batchFirst: true, dropout: true, bidirectional: true, dtype: true };
const SIMPLE_RNN_KEYS: OptionKeys<SimpleRNNOptions> = { ...RNN_KEYS, nonlinearity: true };

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** The steps shared by RNN, LSTM and GRU: parameters, layout, layers and directions. */
abstract class RNNBase<Args extends unknown[], Out> extends Module<Args, Out> {
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether b_ih and b_hh exist. */
  readonly bias: boolean;
  /** Input and output are [batch, seq, feature]. */
  readonly batchFirst: boolean;
  /** Dropout between layers, in training. */
  readonly dropout: number;
  /** Whether a reverse pass runs too. */
  readonly bidirectional: boolean;

  protected constructor(
    private readonly op: string,
    private readonly mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions,
  ) {
    super();
    options = optionsOf(op, options, mode === 'LSTM' || mode === 'GRU' ? RNN_KEYS : SIMPLE_RNN_KEYS);
    const numLayers = options.numLayers ?? 1;
    for (const [name, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', numLayers],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${String(v)}`);
    }
    const dropout = options.dropout ?? 0;
    if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1))
      throw new ValueError(`${op}: dropout must be in [0, 1), got ${String(dropout)}`);
    const dtype = layerDtype(op, options.dtype);
    this.numLayers = numLayers;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = dropout;
    this.bidirectional = options.bidirectional ?? false;
    const gate = GATES[mode] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const self = this as unknown as Record<string, Variable>;
    for (let layer = 0; layer < numLayers; layer++) {
      for (const suffix of this.bidirectional ? ['', '_reverse'] : ['']) {
        const inFeatures = layer === 0 ? inputSize : hiddenSize * this.directions;
        const shapes: Array<[string, number[]]> = [
          [`weight_ih_l${layer}${suffix}`, [gate, inFeatures]],
          [`weight_hh_l${layer}${suffix}`, [gate, hiddenSize]],
        ];
        if (this.bias) shapes.push([`bias_ih_l${layer}${suffix}`, [gate]], [`bias_hh_l${layer}${suffix}`, [gate]]);
        for (const [name, shape] of shapes) self[name] = init.uniform(parameter(zeros(shape, dtype), name), -bound, bound) as Variable;
      }
    }
  }

  /** 2 with bidirectional, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** A parameter by PyTorch's name (e.g. `weight_hh_l1_reverse`), or null for an absent bias. */
  protected weight(name: string): Variable | null {
    return ((this as unknown as Record<string, Variable | undefined>)[name] as Variable | undefined) ?? null;
  }

  /**
   * Runs every layer and direction over x ([L, N, in] or [N, L, in] with batchFirst, or unbatched
   * [L, in]) from the initial states (each [layers·directions, N, H], or [layers·directions, H]
   * unbatched; zeros when absent). Returns the output and the final states in the same layouts.
   */
  protected run(
    input: VariableLike,
    h0: VariableLike | null,
    c0: VariableLike | null,
  ): { output: Variable; h: Variable; c: Variable | null } {
    const { op, hiddenSize: hidden } = this;
    let x = asVariable(input);
    if ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 1] !== this.inputSize) {
      const layout = this.batchFirst ? '[N, L, ' : '[L, N, ';
      throw new ShapeError(
        `${op}: input must be ${layout}${this.inputSize}] (or unbatched [L, ${this.inputSize}]), got ${fmtShape(x.shape)}`,
      );
    }
    const batched = x.rank === 3;
    x = !batched ? x.expandDims(1) : this.batchFirst ? x.transpose([1, 0, 2]) : x; // [L, N, in]
    const [steps, n] = [x.shape[0]!, x.shape[1]!];
    if (steps < 1) throw new ShapeError(`${op}: the input sequence is empty, got ${fmtShape(asVariable(input).shape)}`);
    const states = this.directions * this.numLayers;
    const initial = (s: VariableLike | null, name: string): Variable | null => {
      if (s === null) return null;
      const v = asVariable(s);
      const want = batched ? [states, n, hidden] : [states, hidden];
      if (v.rank !== want.length || v.shape.some((d, i) => d !== want[i]))
        throw new ShapeError(
          `${op}: ${name} must be ${fmtShape(want)} (layers·directions, ${batched ? 'N, ' : ''}hidden), got ${fmtShape(v.shape)}`,
        );
      return batched ? v : v.expandDims(1);
    };
    const h0v = initial(h0, 'h0');
    const c0v = this.mode === 'LSTM' ? initial(c0, 'c0') : null;
    const dtype: FloatDType = this.weight('weight_ih_l0')!.dtype === 'float64' ? 'float64' : 'float32';
    const start = (s: Variable | null, k: number): Variable =>
      s ? s.slice([k, 0, 0], [1, n, hidden]).reshape([n, hidden]) : asVariable(zeros([n, hidden], dtype));
    const hN: Variable[] = [];
    const cN: Variable[] = [];
    if (this.mode === 'LSTM') {
      // the layer's input as one [L, N, F] Variable: each direction projects it in one product
      for (let layer = 0; layer < this.numLayers; layer++) {
        if (layer > 0 && this.training && this.dropout > 0) x = x.mul(dropoutMask([steps, n, x.shape[2]!], this.dropout, dtype));
        const outs: Variable[] = [];
        for (let d = 0; d < this.directions; d++) {
          const k = layer * this.directions + d;
          const { seq, h, c } = this.lstmLayer(x, layer, d === 1, start(h0v, k), start(c0v, k));
          outs.push(seq);
          hN.push(h);
          cN.push(c);
        }
        x = outs.length === 1 ? outs[0]! : concat(outs, 2);
      }
      const fix = (s: Variable) => (batched ? s : s.squeeze(1));
      const output = !batched ? x.squeeze(1) : this.batchFirst ? x.transpose([1, 0, 2]) : x;
      return { output, h: fix(stack(hN, 0)), c: fix(stack(cN, 0)) };
    }
    // the layer's input as one [N, F] Variable per step: a step's slice of one Variable would send
    // back a gradient of the whole sequence's shape (to be summed over L steps, O(L²)); the first
    // layer's steps are sliced from the input once, the next layers' are the previous one's outputs
    let xs: Variable[] = Array.from({ length: steps }, (_, t) => x.slice([t, 0, 0], [1, n, x.shape[2]!]).reshape([n, x.shape[2]!]));
    for (let layer = 0; layer < this.numLayers; layer++) {
      if (layer > 0 && this.training && this.dropout > 0) {
        const features = xs[0]!.shape[1]!;
        const mask = dropoutMask([steps, n, features], this.dropout, dtype);
        xs = xs.map((xt, t) => xt.mul(mask.slice([t, 0, 0], [1, n, features]).reshape([n, features])));
        mask.dispose();
      }
      const outs: Variable[][] = [];
      for (let d = 0; d < this.directions; d++) {
        const k = layer * this.directions + d;
        const { seq, h } = this.direction(xs, layer, d === 1, start(h0v, k));
        outs.push(seq);
        hN.push(h);
      }
      xs = outs.length === 1 ? outs[0]! : outs[0]!.map((f, t) => concat([f, outs[1]![t]!], 1));
    }
    x = stack(xs, 0);
    const fix = (s: Variable) => (batched ? s : s.squeeze(1));
    const output = !batched ? x.squeeze(1) : this.batchFirst ? x.transpose([1, 0, 2]) : x;
    return { output, h: fix(stack(hN, 0)), c: null };
  }

  /**
   * One LSTM layer in one direction over x [L, N, in]: the input projection of every step in one
   * product, then the recurrence as one op. Returns the outputs [L, N, H] and the last states.
   */
  private lstmLayer(x: Variable, layer: number, reverse: boolean, h: Variable, c: Variable): { seq: Variable; h: Variable; c: Variable } {
    const suffix = `${layer}${reverse ? '_reverse' : ''}`;
    const wih = this.weight(`weight_ih_l${suffix}`)!;
    const whh = this.weight(`weight_hh_l${suffix}`)!;
    const bih = this.weight(`bias_ih_l${suffix}`);
    const bhh = this.weight(`bias_hh_l${suffix}`);
    const H = this.hiddenSize;
    const [steps, n, features] = x.shape as [number, number, number];
    const xw = x.reshape([steps * n, features]).matmul(wih, { transposeB: true });
    const xg = (bih && bhh ? xw.add(bih.add(bhh)) : xw).reshape([steps, n, 4 * H]);
    const hc = lstmSequence(xg, whh, h, c, { reverse });
    // the last step in the direction's order: the first of the sequence for the reverse one
    const last = reverse ? 0 : steps - 1;
    return {
      seq: hc.slice([0, 0, 0, 0], [1, steps, n, H]).reshape([steps, n, H]),
      h: hc.slice([0, last, 0, 0], [1, 1, n, H]).reshape([n, H]),
      c: hc.slice([1, last, 0, 0], [1, 1, n, H]).reshape([n, H]),
    };
  }

  /** One RNN or GRU layer in one direction over the steps xs (each [N, in]): the outputs (each [N, H]) and the last state. */
  private direction(xs: Variable[], layer: number, reverse: boolean, h: Variable): { seq: Variable[]; h: Variable } {
    const suffix = `${layer}${reverse ? '_reverse' : ''}`;
    const wih = this.weight(`weight_ih_l${suffix}`)!;
    const whh = this.weight(`weight_hh_l${suffix}`)!;
    const bih = this.weight(`bias_ih_l${suffix}`);
    const bhh = this.weight(`bias_hh_l${suffix}`);
    const steps = xs.length;
    // each step's input projection x_t·W_ihᵀ + b; b_hh joins b_ih except for GRU, whose b_hn sits inside r ⊙ (·)
    const bias = bih && bhh && this.mode !== 'GRU' ? bih.add(bhh) : bih;
    const seq: Variable[] = new Array(steps);
    for (let i = 0; i < steps; i++) {
      const t = reverse ? steps - 1 - i : i;
      const xw = xs[t]!.matmul(wih, { transposeB: true });
      const xt = bias ? xw.add(bias) : xw;
      const hw = h.matmul(whh, { transposeB: true });
      switch (this.mode) {
        case 'RNN_TANH':
          h = xt.add(hw).tanh();
          break;
        case 'RNN_RELU':
          h = xt.add(hw).relu();
          break;
        case 'GRU':
          // one fused kernel: gates r, z, n, n = tanh(x_n + r⊙(W_hn·h + b_hn)), h' = n + z⊙(h − n)
          h = gruCell(xt, bhh ? hw.add(bhh) : hw, h);
          break;
      }
      seq[t] = h;
    }
    return { seq, h };
  }
}

/**
 * An Elman RNN (PyTorch's nn.RNN): h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) (or ReLU),
 * over `numLayers` stacked layers, optionally bidirectional. `forward(x, h0?)` returns
 * `[output, hN]`: output [L, N, D·H] ([N, L, D·H] with batchFirst), hN [numLayers·D, N, H].
 * Keys `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` (`…_reverse` for the reverse
 * direction); every parameter starts U(−1/√H, 1/√H). A time step runs 5 kernels: its input
 * projection and bias, the matmul by W_hh, one add and the nonlinearity.
 *
 * @example
 * ```ts
 * const rnn = new RNN(3, 8, { numLayers: 2, batchFirst: true });
 * const [output, hN] = rnn.forward(x); // [N, L, 8], [2, N, 8]
 * ```
 */
export class RNN extends RNNBase<[input: VariableLike, h0?: VariableLike | null], [Variable, Variable]> {
  /** The nonlinearity. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: SimpleRNNOptions = {}) {
    const nl = options?.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new ValueError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${String(nl)}`);
    super('RNN', nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }

  /** x [L, N, in] ([N, L, in] with batchFirst, or unbatched [L, in]), h0 [layers·D, N, H] or zeros → [output, hN]. */
  forward(input: VariableLike, h0: VariableLike | null = null): [Variable, Variable] {
    const { output, h } = this.run(input, h0 ?? null, null);
    return [output, h];
  }
}

/**
 * Long short-term memory (PyTorch's nn.LSTM), gates in PyTorch's order i, f, g, o:
 * c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g), h_t = σ(o)⊙tanh(c_t). `forward(x, [h0, c0]?)` returns
 * `[output, [hN, cN]]`. Keys, layouts and init as RNN's, with 4·H gate rows. Each layer and
 * direction projects the whole sequence in one product (X·W_ihᵀ + b_ih + b_hh), then runs the
 * recurrence as one op (lstmSequence): a time step is the matmul by W_hh and one fused cell
 * kernel; its backward, the cell's fused backward and the product for h's gradient, with the
 * weight gradients each one product over the whole sequence.
 *
 * @example
 * ```ts
 * const lstm = new LSTM(3, 8, { bidirectional: true });
 * const [output, [hN, cN]] = lstm.forward(x); // [L, N, 16], [2, N, 8], [2, N, 8]
 * ```
 */
export class LSTM extends RNNBase<
  [input: VariableLike, state?: readonly [h0: VariableLike, c0: VariableLike] | null],
  [Variable, [Variable, Variable]]
> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', 'LSTM', inputSize, hiddenSize, options);
  }

  /** x as RNN's, state [h0, c0] (each [layers·D, N, H]) or zeros → [output, [hN, cN]]. */
  forward(input: VariableLike, state: readonly [VariableLike, VariableLike] | null = null): [Variable, [Variable, Variable]] {
    if (state !== null && state !== undefined && !(Array.isArray(state) && state.length === 2))
      throw new ValueError(
        `LSTM: the initial state must be a pair [h0, c0], got ${Array.isArray(state) ? `an array of ${state.length}` : typeOf(state)}`,
      );
    const { output, h, c } = this.run(input, state?.[0] ?? null, state?.[1] ?? null);
    return [output, [h, c!]];
  }
}

/**
 * Gated recurrent unit (PyTorch's nn.GRU), gates in PyTorch's order r, z, n:
 * n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)), h_t = (1 − z)⊙n + z⊙h_{t−1}. `forward(x, h0?)`
 * returns `[output, hN]`. Keys, layouts and init as RNN's, with 3·H gate rows. A time step runs
 * 5 kernels: its input projection and b_ih, the matmul by W_hh and b_hh, and the fused cell
 * (gruCell).
 *
 * @example
 * ```ts
 * const gru = new GRU(3, 8);
 * const [output, hN] = gru.forward(x, h0); // [L, N, 8], [1, N, 8]
 * ```
 */
export class GRU extends RNNBase<[input: VariableLike, h0?: VariableLike | null], [Variable, Variable]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', 'GRU', inputSize, hiddenSize, options);
  }

  /** x as RNN's, h0 [layers·D, N, H] or zeros → [output, hN]. */
  forward(input: VariableLike, h0: VariableLike | null = null): [Variable, Variable] {
    const { output, h } = this.run(input, h0 ?? null, null);
    return [output, h];
  }
}
