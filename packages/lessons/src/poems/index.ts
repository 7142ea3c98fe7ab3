// Tang quatrains: the corpus, its split and vocabulary, the baselines in bits, and a small
// character-level Transformer.

export * from './attention.js';
export * from './baselines.js';
export * from './checks.js';
export * from './corpus.js';
export * from './split.js';
export * from './train.js';
export * from './transformer.js';
export * from './vocab.js';
