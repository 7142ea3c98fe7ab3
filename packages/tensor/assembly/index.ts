// The kernel module's entry: every family's exports, compiled into one .wasm.

export * from './attention';
export * from './broadcast';
export * from './conv';
export * from './elementwise';
export * from './layout';
export * from './linalg';
export * from './matmul';
export * from './norm';
export * from './random';
export * from './rnn';
export * from './reduce';
export * from './softmax';
export * from './sort';

/** First byte after the module's static data: the host's allocator must start above it. */
export function heap_base(): usize {
  return __heap_base;
}
export * from './optim';
