// Tang quatrains: the corpus, its split and vocabulary, the baselines in bits, and a small
// character-level Transformer.
export * from './corpus.js';
