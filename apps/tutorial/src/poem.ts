// `pnpm start --model poem`: a character-level Transformer trained on the five-character Tang
// quatrains, measured in bits per character against what the characters' own distribution gives.
import {
  BOS,
  bigramModel,
  CharTransformer,
  CharVocab,
  characterBits,
  EOS,
  formReport,
  heldOutBits,
  samplePoems,
  splitPoems,
  trainCharTransformer,
  trainingEntropy,
  transformerCharModel,
  uniformModel,
  unigramModel,
} from '@gd/lessons';
import { trainingBar } from '@gd/lessons/progress';
import { loadTangQuatrains } from '@gd/lessons/tang';
import { loadSafetensorsFile, saveOnnxFile, saveSafetensorsFile } from '@gd/nn/node';
import { scope, tensor } from '@gd/tensor';
import * as ort from 'onnxruntime-node';
import { type Messages, pick } from './messages.js';

/** Epochs of the poem model when --epochs is not given. */
export const POEM_EPOCHS = 8;

/** 孟浩然《春曉》, held out on purpose whatever the seed, to be read character by character. */
const SPRING_MORNING = { text: '春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。', title: '春曉', author: '孟浩然' };

/**
 * Splits the quatrains, prints the baselines, trains and samples the Transformer, reads 春曉 with
 * it, saves and reloads it; sets a failing exit code if the reloaded model scores differently.
 * `poems` (a count, as given on the command line) keeps only the first that many quatrains: a quick run.
 */
export async function poemSection(o: {
  seed: number;
  epochs: number;
  out: string;
  poems?: string;
  heading: (s: string) => void;
  m: Messages;
}): Promise<void> {
  const w = o.m.poem;
  const f = (x: number, d = 2) => x.toFixed(d);
  o.heading(w.heading);
  const count = o.poems === undefined ? undefined : Number(o.poems);
  if (count !== undefined && !(Number.isInteger(count) && count >= 20)) {
    console.error(w.badPoems(String(o.poems)));
    process.exit(2);
  }
  const all = loadTangQuatrains(5);
  const corpus = count === undefined ? all : all.slice(0, count);
  const holdOut = corpus.some((q) => q.text === SPRING_MORNING.text) ? [SPRING_MORNING.text] : [];
  const split = splitPoems(corpus, { seed: o.seed, holdOut });
  const train = split.train.map((q) => q.text);
  const held = split.heldOut.map((q) => q.text);
  const vocab = CharVocab.fromTexts(train);
  console.log(
    w.corpus({
      n: corpus.length,
      dup: split.duplicates,
      seed: o.seed,
      train: train.length,
      held: held.length,
      heldTitle: holdOut.length ? SPRING_MORNING.title : null,
    }),
  );
  console.log(w.vocabulary(vocab.outcomes - 1, f(trainingEntropy(vocab, train), 3)));

  const bar = trainingBar(w.bar);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const trained = trainCharTransformer(vocab, train, {
    seed: o.seed,
    epochs: o.epochs,
    model: { dropout: 0.1 },
    onStep: (s) => bar.step(s.step, s.steps, { epoch: s.epoch, loss: f(s.bits, 3) }),
  });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const { model } = trained;
  const c = model.config;
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  console.log(
    w.model({
      layers: c.numLayers,
      d: c.dModel,
      heads: c.numHeads,
      ctx: c.contextLength,
      params: params.toLocaleString('en'),
      dropout: c.dropout ?? 0,
      epochs: o.epochs,
      steps: trained.steps,
      seconds: f(seconds, 1),
      cpu: f((cpu.user + cpu.system) / 1e6, 1),
    }),
  );

  const transformer = transformerCharModel(model);
  const models = [uniformModel(vocab), unigramModel(vocab, train), bigramModel(vocab, train), transformer];
  const scores = models.map((m) => heldOutBits(m, vocab, held));
  console.log(w.crossEntropy(models.map((m, i) => `${pick(w.models, m.name)} ${f(scores[i]!.bitsPerChar, 3)}`).join(' | ')));
  console.log(
    w.crossEntropyNote(
      scores[0]!.chars,
      f(scores[2]!.bitsPerChar - scores[3]!.bitsPerChar, 3),
      f(scores[1]!.bitsPerChar - scores[3]!.bitsPerChar, 3),
    ),
  );

  const samples = samplePoems(model, vocab, { count: 32, seed: o.seed, temperature: 0.8 });
  console.log(w.sampled);
  for (const s of samples.slice(0, 8)) console.log(`  ${s}`);
  const form = formReport(samples, train);
  console.log(w.form({ well: form.wellFormed, samples: form.samples, copied: form.copiedLines, lines: form.lines }));

  if (holdOut.length) {
    const bits = characterBits(transformer, vocab, SPRING_MORNING.text);
    const bigramBits = characterBits(models[2]!, vocab, SPRING_MORNING.text);
    console.log(w.famous(SPRING_MORNING.title, SPRING_MORNING.author));
    for (let line = 0; line < 4; line++) {
      const cells = bits
        .slice(line * 6, line * 6 + 6)
        .map((b, i) => `${b.char} ${f(b.bits, 1).padStart(4)} / ${f(bigramBits[line * 6 + i]!.bits, 1).padStart(4)}`);
      console.log(`  ${cells.join('   ')}`);
    }
    const total = (xs: Array<{ bits: number }>) => xs.reduce((s, b) => s + b.bits, 0);
    console.log(w.famousTotal(f(total(bits), 1), f(total(bits) / bits.length), f(total(bigramBits), 1)));
  }

  await saveSafetensorsFile(o.out, model, {
    metadata: {
      format: 'pt',
      model: 'char-transformer',
      config: JSON.stringify(c),
      vocab: JSON.stringify(vocab.chars),
      seed: String(o.seed),
    },
  });
  const reloaded = new CharTransformer(c).eval();
  const meta = await loadSafetensorsFile(reloaded, o.out);
  const vocab2 = CharVocab.fromChars(JSON.parse(meta.vocab ?? '[]'));
  const again = heldOutBits(transformerCharModel(reloaded), vocab2, held).bitsPerChar;
  console.log(w.saved(o.out, f(again, 3)));
  if (again !== scores[3]!.bitsPerChar) {
    console.error(w.reloadDisagrees);
    process.exitCode = 1;
  }
  reloaded.dispose();

  // the model leaves gd as ONNX: ONNX Runtime must give the same next-character distributions
  const onnxPath = `${o.out.replace(/\.safetensors$/, '')}.onnx`;
  const T = c.contextLength;
  await saveOnnxFile(onnxPath, model, { inputShape: [1, T], inputDtype: 'int32', dynamicBatch: true });
  const rows = held.slice(0, 16).map((text) => {
    const ids = [BOS, ...vocab.encode(text)].slice(0, T);
    while (ids.length < T) ids.push(EOS);
    return ids;
  });
  const ids = Int32Array.from(rows.flat());
  const session = await ort.InferenceSession.create(onnxPath, { graphOptimizationLevel: 'all' });
  const { output } = await session.run({ input: new ort.Tensor('int32', ids, [rows.length, T]) });
  await session.release();
  const [ours, theirs] = scope(() => {
    const logits = model.forward(tensor(ids, { shape: [rows.length, T], dtype: 'int32' }));
    const theirLogits = tensor(Float32Array.from(output!.data as Float32Array), { shape: [rows.length, T, vocab.size] });
    return [Array.from(logits.softmax(-1).value.data()), Array.from(theirLogits.softmax(-1).data())];
  });
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
  console.log(w.onnx(onnxPath, ort.env.versions.node ?? ort.env.versions.common, rows.length, worst.toExponential(2)));
  if (!(worst <= 1e-5)) {
    console.error(w.onnxDisagrees);
    process.exitCode = 1;
  }
  model.dispose();
}
