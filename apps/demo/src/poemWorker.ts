// Lesson 8's worker: the character Transformer of `pnpm start --model poem` (@gd/lessons), trained
// here step by step so that Stop is answered between steps, or loaded from the shipped weights.
import { noGrad } from '@gd/autograd';
import {
  BOS,
  bigramModel,
  CharTransformer,
  CharTransformerTrainer,
  CharVocab,
  characterBits,
  heldOutBits,
  type Quatrain,
  quatrainForm,
  samplePoems,
  splitPoems,
  trainingEntropy,
  transformerCharModel,
  uniformModel,
  unigramModel,
} from '@gd/lessons';
import { loadSafetensors, parseSafetensors } from '@gd/nn';
import { kernelsInfo, ready, scope, tensor } from '@gd/tensor';
// the settings shared with the script that trained the shipped weights (scripts/poem-model.mjs)
import POEM from './poem.json';

/** What the page asks of the poem worker. */
export type PoemRequest =
  | { type: 'poem-train'; base: string }
  | { type: 'poem-stop' }
  | { type: 'poem-load'; base: string }
  | { type: 'poem-generate'; temperature: number; seed: number; count: number };

/** Held-out bits per character of one model, full precision. */
export interface PoemScore {
  name: 'uniform' | 'unigram' | 'bigram' | 'transformer';
  bitsPerChar: number;
}

/** The famous held-out poem read by the model: each character's −log₂ p, and every head's attention. */
export interface PoemReading {
  chars: string[];
  /** −log₂ p(cᵢ | c₁…cᵢ₋₁) under the Transformer, in bits. */
  bits: number[];
  /** The same under the bigram, for comparison. */
  bigramBits: number[];
  /** [layer][head][t][j]: attention of the position predicting character t over position j ≤ t (0 = the start token). */
  attention: number[][][][];
}

/** Replies of the poem worker; every one carries lesson: 'poem'. */
export type PoemReply =
  | {
      type: 'poem-ready';
      train: number;
      held: number;
      chars: number;
      vocab: number;
      entropy: number;
      baselines: PoemScore[];
      threads: number;
      corpusBytes: number;
    }
  | { type: 'poem-step'; step: number; steps: number; epoch: number; bits: number[]; first: number }
  | { type: 'poem-epoch'; step: number; epoch: number; heldOut: number }
  | { type: 'poem-stopped'; step: number; steps: number; complete: boolean }
  | {
      type: 'poem-model';
      source: 'trained' | 'shipped';
      step: number;
      heldOut: number;
      claimed: number | null;
      bytes: number | null;
      reading: PoemReading;
      config: { dModel: number; numHeads: number; numLayers: number; params: number };
    }
  | { type: 'poem-samples'; poems: string[]; temperature: number; seed: number; wellFormed: number }
  | { type: 'error'; code?: string; message: string };

const post = (m: PoemReply) => postMessage({ lesson: 'poem', ...m });
/** The page's address, that the shipped files (corpus, weights) are found beside. */
let base = '';
const url = (file: string) => new URL(file, base).href;

interface Data {
  train: string[];
  held: string[];
  vocab: CharVocab;
}
let data: Data | undefined;
let trainer: CharTransformerTrainer | undefined;
let model: CharTransformer | undefined;
let running = false;

/** The corpus, split as the CLI splits it (春曉 held out), and the baselines of the CLI. */
async function prepare(): Promise<Data> {
  if (data) return data;
  const res = await fetch(url(POEM.corpus));
  if (!res.ok) throw new Error(`the poems could not be loaded (${res.status} ${res.statusText})`);
  const text = await res.text();
  const quatrains: Quatrain[] = text
    .split('\n')
    .filter((l) => l !== '')
    .map((t) => ({ text: t, author: '', title: '', form: quatrainForm(t) ?? 5 }));
  const split = splitPoems(quatrains, { seed: POEM.seed, holdOut: [POEM.famous.text] });
  const train = split.train.map((q) => q.text);
  const held = split.heldOut.map((q) => q.text);
  const vocab = CharVocab.fromTexts(train);
  const models = [uniformModel(vocab), unigramModel(vocab, train), bigramModel(vocab, train)];
  const baselines = models.map((m) => ({ name: m.name as PoemScore['name'], bitsPerChar: heldOutBits(m, vocab, held).bitsPerChar }));
  data = { train, held, vocab };
  post({
    type: 'poem-ready',
    train: train.length,
    held: held.length,
    chars: held.reduce((n, t) => n + [...t].length, 0),
    vocab: vocab.outcomes - 1,
    entropy: trainingEntropy(vocab, train),
    baselines,
    threads: kernelsInfo().threads,
    corpusBytes: new TextEncoder().encode(text).length,
  });
  return data;
}

/** 春曉 read by a model: bits per character and the attention of every head of every block. */
function read(m: CharTransformer, d: Data): PoemReading {
  const text = POEM.famous.text;
  const chars = Array.from(text);
  const bits = characterBits(transformerCharModel(m), d.vocab, text).map((b) => b.bits);
  const bigramBits = characterBits(bigramModel(d.vocab, d.train), d.vocab, text).map((b) => b.bits);
  const ids = [BOS, ...d.vocab.encode(text)].slice(0, chars.length);
  const attention = noGrad(() =>
    Array.from(
      { length: m.config.numLayers },
      (_, layer) => scope(() => m.attentionWeights(tensor([ids], { dtype: 'int32' }), layer).toArray() as number[][][][])[0]!,
    ),
  );
  return { chars, bits, bigramBits, attention };
}

function describe(m: CharTransformer) {
  const c = m.config;
  return { dModel: c.dModel, numHeads: c.numHeads, numLayers: c.numLayers, params: m.parameters().reduce((n, p) => n + p.size, 0) };
}

function heldOutOf(m: CharTransformer, d: Data): number {
  return heldOutBits(transformerCharModel(m), d.vocab, d.held).bitsPerChar;
}

/** Trains in slices of about 100 ms, so that a Stop between them is read; reports every step. */
async function train(): Promise<void> {
  const d = await prepare();
  if (running) return;
  if (!trainer || trainer.complete) {
    model?.dispose();
    model = undefined;
    trainer = new CharTransformerTrainer(d.vocab, d.train, {
      seed: POEM.seed,
      epochs: POEM.epochs,
      batchSize: POEM.batchSize,
      model: POEM.model,
    });
  }
  const tr = trainer;
  running = true;
  while (running && !tr.complete) {
    const t0 = performance.now();
    let bits: number[] = [];
    let epoch = 0;
    const flush = () => {
      if (bits.length) post({ type: 'poem-step', step: tr.step, steps: tr.steps, epoch, bits, first: tr.step - bits.length + 1 });
      bits = [];
    };
    while (running && !tr.complete && performance.now() - t0 < 100) {
      const s = tr.next();
      bits.push(s.bits);
      epoch = s.epoch;
      // held-out bits/char at the end of every epoch (dropout is 0: scoring draws nothing)
      if (s.step % (s.steps / POEM.epochs) === 0) {
        flush();
        post({ type: 'poem-epoch', step: s.step, epoch, heldOut: heldOutOf(tr.model, d) });
      }
    }
    flush();
    // a Stop sent meanwhile is read here
    await new Promise((r) => setTimeout(r, 0));
  }
  running = false;
  post({ type: 'poem-stopped', step: tr.step, steps: tr.steps, complete: tr.complete });
  if (tr.complete) {
    model = tr.finish();
    trainer = undefined;
  }
  // the model as it is now (finished, or stopped part way) reads 春曉
  const m = model ?? tr.model;
  const wasTraining = m.training;
  m.eval();
  post({
    type: 'poem-model',
    source: 'trained',
    step: tr.step,
    heldOut: heldOutOf(m, d),
    claimed: null,
    bytes: null,
    reading: read(m, d),
    config: describe(m),
  });
  if (wasTraining) m.train();
}

async function loadShipped(): Promise<void> {
  const d = await prepare();
  running = false;
  const res = await fetch(url(POEM.weights));
  if (!res.ok) throw new Error(`the weights could not be loaded (${res.status} ${res.statusText})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const { metadata } = parseSafetensors(bytes);
  const loaded = new CharTransformer(JSON.parse(metadata.config ?? '{}')).eval();
  loadSafetensors(loaded, bytes);
  const vocab = CharVocab.fromChars(JSON.parse(metadata.vocab ?? '[]'));
  if (vocab.chars.join('') !== d.vocab.chars.join('')) {
    loaded.dispose();
    throw new Error('the shipped weights were trained with another vocabulary than these poems give');
  }
  trainer?.finish().dispose();
  trainer = undefined;
  model?.dispose();
  model = loaded;
  post({
    type: 'poem-model',
    source: 'shipped',
    step: Number(metadata.steps),
    heldOut: heldOutOf(loaded, d),
    claimed: Number(metadata.heldOutBitsPerChar),
    bytes: bytes.length,
    reading: read(loaded, d),
    config: describe(loaded),
  });
}

function generate(temperature: number, seed: number, count: number): void {
  const d = data;
  const m = model ?? trainer?.model;
  if (!d || !m) {
    post({ type: 'error', code: 'no-model', message: 'Train or load the model first.' });
    return;
  }
  const wasTraining = m.training;
  m.eval();
  try {
    const poems = samplePoems(m, d.vocab, { count, seed, temperature });
    post({ type: 'poem-samples', poems, temperature, seed, wellFormed: poems.filter((p) => quatrainForm(p) !== null).length });
  } finally {
    if (wasTraining) m.train();
  }
}

let started: Promise<void> | undefined;

self.addEventListener('message', async (e: MessageEvent<PoemRequest>) => {
  const m = e.data;
  try {
    started ??= ready({ threads: 'auto' });
    await started;
    if ('base' in m) base = m.base;
    if (m.type === 'poem-train') await train();
    else if (m.type === 'poem-stop') running = false;
    else if (m.type === 'poem-load') await loadShipped();
    else if (m.type === 'poem-generate') generate(m.temperature, m.seed, m.count);
  } catch (err) {
    running = false;
    post({ type: 'error', message: String((err as Error).message ?? err) });
  }
});
