// ONNX emitters of RNN, LSTM and GRU: one ONNX RNN/LSTM/GRU node per layer, which loops over the
// sequence inside the runtime, so an exported model takes any sequence length (and batch size).
// The `@gd/nn/onnx` entry calls registerRecurrentEmitters() once its emitter table exists (it
// imports this file, which imports it back: registering at this file's load would run first).
import { type Dim, type EmitContext, registerOnnxEmitter, type Value } from './onnx.js';
import { GRU, LSTM, RNN } from './rnn.js';

type Kind = 'RNN' | 'LSTM' | 'GRU';

/**
 * Where each ONNX gate block takes its rows from in PyTorch's layout: ONNX's LSTM is i, o, f, c
 * where PyTorch's is i, f, g, o; ONNX's GRU is z, r, h where PyTorch's is r, z, n.
 */
const GATE_ORDER: Record<Kind, number[]> = { RNN: [0], LSTM: [0, 3, 1, 2], GRU: [1, 0, 2] };

/** The row indices that reorder a [gates·H, …] parameter from PyTorch's gate order to ONNX's. */
function gateRows(kind: Kind, hidden: number): number[] {
  return GATE_ORDER[kind].flatMap((g) => Array.from({ length: hidden }, (_, i) => g * hidden + i));
}

/**
 * The nodes of one RNN/LSTM/GRU: x is [L, N, in] ([N, L, in] with batchFirst, or unbatched
 * [L, in]); the initial states, when given, are the module's further inputs. Returns
 * [output, hN] (and cN for LSTM) in the layouts of the layer's forward.
 */
function emitRecurrent(m: RNN | LSTM | GRU, kind: Kind, x: Value, cx: EmitContext): Value[] {
  const H = m.hiddenSize;
  const D = m.directions;
  const states = cx.inputs.slice(1);
  const wantStates = kind === 'LSTM' ? 2 : 1;
  if (states.length !== 0 && states.length !== wantStates)
    cx.fail(
      `it takes ${kind === 'LSTM' ? 'an initial state [h0, c0]' : 'an initial state h0'} or none; its forward got ${states.length} tensors besides the input`,
    );
  if ((x.shape.length !== 2 && x.shape.length !== 3) || x.shape[x.shape.length - 1] !== m.inputSize)
    cx.fail(`its input must be of rank 2 or 3 ending in ${m.inputSize}; it is [${x.shape.join(', ')}]`);
  const batched = x.shape.length === 3;
  // to ONNX's [L, N, in] (ONNX Runtime runs the recurrent operators with layout 0 only)
  let seq = !batched
    ? cx.node('Unsqueeze', [x.name, cx.int64s([1])])
    : m.batchFirst
      ? cx.node('Transpose', [x.name], { perm: [1, 0, 2] })
      : x.name;
  const [L, N] = (!batched ? [x.shape[0], 1] : m.batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]]) as [Dim, Dim];
  // the initial states as [layers·D, N, H]
  const initial = states.map((s) => (batched ? s.name : cx.node('Unsqueeze', [s.name, cx.int64s([1])])));
  // RNN has one gate: its parameters are used as they are
  const rows = kind === 'RNN' ? null : cx.int64s(gateRows(kind, H));
  const reordered = (f: string) => (rows === null ? cx.param(f) : cx.node('Gather', [cx.param(f), rows], { axis: 0 }));
  const perDirection = (field: string) => {
    const names = D === 2 ? [field, `${field}_reverse`] : [field];
    const parts = names.map((f) => cx.node('Unsqueeze', [reordered(f), cx.int64s([0])]));
    return parts.length === 1 ? parts[0]! : cx.node('Concat', parts, { axis: 0 });
  };
  const attributes = {
    hidden_size: H,
    direction: D === 2 ? 'bidirectional' : 'forward',
    ...(kind === 'RNN' ? { activations: Array<string>(D).fill(m instanceof RNN && m.nonlinearity === 'relu' ? 'Relu' : 'Tanh') } : {}),
    ...(kind === 'GRU' ? { linear_before_reset: 1 } : {}),
  };
  const hN: string[] = [];
  const cN: string[] = [];
  for (let layer = 0; layer < m.numLayers; layer++) {
    const W = perDirection(`weight_ih_l${layer}`);
    const R = perDirection(`weight_hh_l${layer}`);
    // B is [D, 2·gates·H]: the input biases, then the hidden ones, both in ONNX's gate order
    let B = '';
    if (m.bias) {
      const [bih, bhh] = [perDirection(`bias_ih_l${layer}`), perDirection(`bias_hh_l${layer}`)];
      B = cx.node('Concat', [bih, bhh], { axis: 1 });
    }
    const slice = (s: string) =>
      m.numLayers === 1 ? s : cx.node('Slice', [s, cx.int64s([layer * D]), cx.int64s([(layer + 1) * D]), cx.int64s([0])]);
    const inputs = [seq, W, R, B, '', ...initial.map(slice)];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const [Y, Yh, Yc] = cx.nodeOutputs(kind, inputs, kind === 'LSTM' ? 3 : 2, attributes);
    hN.push(Yh!);
    if (Yc !== undefined) cN.push(Yc);
    // Y is [L, D, N, H]: the next layer's input, and the output, is [L, N, D·H]
    seq = cx.node('Reshape', [cx.node('Transpose', [Y!], { perm: [0, 2, 1, 3] }), cx.int64s([0, 0, -1])]);
  }
  const joined = (parts: string[]) => (parts.length === 1 ? parts[0]! : cx.node('Concat', parts, { axis: 0 }));
  const state = (parts: string[]): Value =>
    batched
      ? { name: joined(parts), shape: [m.numLayers * D, N, H] }
      : { name: cx.node('Squeeze', [joined(parts), cx.int64s([1])]), shape: [m.numLayers * D, H] };
  const output: Value = !batched
    ? { name: cx.node('Squeeze', [seq, cx.int64s([1])]), shape: [L, D * H] }
    : m.batchFirst
      ? { name: cx.node('Transpose', [seq], { perm: [1, 0, 2] }), shape: [N, L, D * H] }
      : { name: seq, shape: [L, N, D * H] };
  return kind === 'LSTM' ? [output, state(hN), state(cN)] : [output, state(hN)];
}

/** Registers the emitters of RNN, LSTM and GRU with toOnnx. */
export function registerRecurrentEmitters(): void {
  registerOnnxEmitter(RNN, (m, x, cx) => emitRecurrent(m, 'RNN', x, cx));
  registerOnnxEmitter(LSTM, (m, x, cx) => emitRecurrent(m, 'LSTM', x, cx));
  registerOnnxEmitter(GRU, (m, x, cx) => emitRecurrent(m, 'GRU', x, cx));
}
