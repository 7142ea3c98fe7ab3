/**
 * @gd/tensor/grad — the tensor-level helpers that gradient rules need and users do not: the
 * adjoints of activations, softmax, gather, broadcasting and slicing. @gd/autograd builds its
 * backward passes from them.
 *
 * @packageDocumentation
 */
export { geluBackward, reluBackward, sigmoidBackward, tanhBackward } from './ops/broadcast.js';
export { gatherBackward, padSlice, sumTo } from './ops/layout.js';
export { softmaxBackward } from './ops/softmax.js';
