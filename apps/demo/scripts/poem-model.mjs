// The small poem model the demo ships (public/poem-model.safetensors), trained by the code of
// `pnpm start --model poem` (trainCharTransformer) with the seed, sizes and epochs of
// src/poem.json, on the same split of the five-character quatrains (春曉 held out). Its held-out
// bits per character is written into the file's metadata.
//   node scripts/poem-model.mjs          trains and writes the file, then checks it
//   node scripts/poem-model.mjs --check  loads the shipped file and checks the bits it claims
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CharTransformer, CharVocab, heldOutBits, splitPoems, trainCharTransformer, transformerCharModel } from '@gd/lessons';
import { loadTangQuatrains } from '@gd/lessons/tang';
import { loadSafetensors, parseSafetensors } from '@gd/nn';
import { saveSafetensorsFile } from '@gd/nn/node';
import { ready } from '@gd/tensor';

/** The demo's settings, shared with the page. */
export const CONFIG = JSON.parse(readFileSync(new URL('../src/poem.json', import.meta.url), 'utf8'));
/** Where the shipped weights are. */
export const WEIGHTS = fileURLToPath(new URL(`../public/${CONFIG.weights}`, import.meta.url));

/** The split the page makes: texts of the training and held-out poems, and the training vocabulary. */
export function demoSplit() {
  const split = splitPoems(loadTangQuatrains(5), { seed: CONFIG.seed, holdOut: [CONFIG.famous.text] });
  const train = split.train.map((q) => q.text);
  const held = split.heldOut.map((q) => q.text);
  return { train, held, vocab: CharVocab.fromTexts(train) };
}

/** The shipped model (eval mode), its vocabulary and its metadata. */
export function loadShipped(bytes = new Uint8Array(readFileSync(WEIGHTS))) {
  const { metadata } = parseSafetensors(bytes);
  const model = new CharTransformer(JSON.parse(metadata.config)).eval();
  loadSafetensors(model, bytes);
  return { model, vocab: CharVocab.fromChars(JSON.parse(metadata.vocab)), metadata };
}

/** Loads the shipped file and measures it; throws when it does not give the bits it claims within 1e-6. */
export function checkShipped() {
  const { train, held, vocab } = demoSplit();
  const shipped = loadShipped();
  try {
    if (JSON.stringify(shipped.vocab.chars) !== JSON.stringify(vocab.chars)) {
      throw new Error(`${WEIGHTS}: its vocabulary is not the one of the demo's ${train.length} training poems`);
    }
    const bits = heldOutBits(transformerCharModel(shipped.model), vocab, held).bitsPerChar;
    const claimed = Number(shipped.metadata.heldOutBitsPerChar);
    if (!(Math.abs(bits - claimed) <= 1e-6)) throw new Error(`${WEIGHTS} claims ${claimed} held-out bits/char, gives ${bits}`);
    return { bits, claimed, metadata: shipped.metadata };
  } finally {
    shipped.model.dispose();
  }
}

async function main(args) {
  await ready();
  if (!args.includes('--check')) {
    const { train, held, vocab } = demoSplit();
    const t0 = performance.now();
    const { model, steps } = trainCharTransformer(vocab, train, {
      seed: CONFIG.seed,
      epochs: CONFIG.epochs,
      batchSize: CONFIG.batchSize,
      model: CONFIG.model,
      onStep: (s) => {
        if (s.step % 100 === 0 || s.step === s.steps) console.log(`step ${s.step}/${s.steps} epoch ${s.epoch} ${s.bits.toFixed(3)} bits`);
      },
    });
    const bits = heldOutBits(transformerCharModel(model), vocab, held).bitsPerChar;
    await saveSafetensorsFile(WEIGHTS, model, {
      metadata: {
        format: 'pt',
        model: 'char-transformer',
        config: JSON.stringify(model.config),
        vocab: JSON.stringify(vocab.chars),
        seed: String(CONFIG.seed),
        epochs: String(CONFIG.epochs),
        steps: String(steps),
        heldOutPoems: String(held.length),
        heldOutBitsPerChar: String(bits),
      },
    });
    console.log(`trained ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; held-out ${bits} bits/char → ${WEIGHTS}`);
    model.dispose();
  }
  const { bits, claimed } = checkShipped();
  console.log(`${WEIGHTS}: held-out ${bits} bits/char, claims ${claimed}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
