// Tensor ops: argument checks, dtype promotion and broadcasting plans in TypeScript, then one
// kernel call. No input reaches a kernel unchecked. One file per kernel family, named as in assembly/.
export * from './generated/binary.js';
export * from './ops/attention.js';
export * from './ops/broadcast.js';
export * from './ops/cast.js';
export * from './ops/conv.js';
export * from './ops/elementwise.js';
export * from './ops/fill.js';
export * from './ops/layout.js';
export * from './ops/linalg.js';
export * from './ops/matmul.js';
export * from './ops/norm.js';
export * from './ops/random.js';
export * from './ops/reduce.js';
export * from './ops/rnn.js';
export * from './ops/softmax.js';
export * from './ops/sort.js';
