/**
 * @gd/tensor/grad — the tensor-level helpers that gradient rules need and users do not: the
 * adjoints of activations, softmax, gather, broadcasting, slicing, convolution and pooling, and the
 * hook that hands a replayed backward's gradients back (holdForReplay). @gd/autograd builds its
 * backward passes from them.
 *
 * @packageDocumentation
 */

// the helpers call Tensor methods: loading this entry installs them, as the root does
import './methods.js';

export { scaleByInPlace, sumOfSquaresScaled } from './inplace.js';
export { fusedAttentionBackward } from './ops/attention.js';
export { geluBackward, reluBackward, sigmoidBackward, tanhBackward } from './ops/broadcast.js';
export {
  adaptiveAvgPool2dBackward,
  avgPool2dBackward,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  convTranspose2dBackwardInput,
  maxPool2dBackward,
  maxPool2dWithIndices,
} from './ops/conv.js';
export { gatherBackward, padSlice, sumTo } from './ops/layout.js';
export { layerNormBackward } from './ops/norm.js';
export { gruCellBackward, type LstmSequenceNeeds, lstmCellBackward, lstmSequenceBackward } from './ops/rnn.js';
export { softmaxBackward, softmaxCrossEntropyBackward } from './ops/softmax.js';
export { holdForReplay, replaceHeldForReplay } from './record.js';
