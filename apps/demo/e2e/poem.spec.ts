// End-to-end tests of lesson 8 (cross-entropy trains a Transformer), each number the page shows
// checked against the same code run here in Node on the same weights: one page at 1280 px shared
// by the tests in order, then each language at each width on a page of its own.
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { axe, clippedText, expect, open, shots, test, text } from './fixtures';

// Latin words the Chinese lesson may show besides the page's own allow-list
const ALLOWED = 'MNIST ONNX KB WebAssembly Web Worker SIMD Node gd log Transformer H X p'.split(' ');
const near = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol;

/** The shipped model in Node: what the page must show for it. */
async function reference() {
  const { ready } = await import('@gd/tensor');
  await ready();
  const { noGrad } = await import('@gd/autograd');
  const lessons = await import('@gd/lessons');
  const { tensor, scope } = await import('@gd/tensor');
  const { CONFIG, checkShipped, demoSplit, loadShipped } = await import('../scripts/poem-model.mjs');
  const check = checkShipped(); // throws unless the file gives the bits it claims, within 1e-6
  const { train, held, vocab } = demoSplit();
  const { model } = loadShipped();
  const scorer = lessons.transformerCharModel(model);
  const text = CONFIG.famous.text;
  const ids = [lessons.BOS, ...vocab.encode(text)].slice(0, [...text].length);
  const ref = {
    CONFIG,
    check,
    entropy: lessons.trainingEntropy(vocab, train),
    baselines: Object.fromEntries(
      [lessons.uniformModel(vocab), lessons.unigramModel(vocab, train), lessons.bigramModel(vocab, train)].map((m) => [
        m.name,
        lessons.heldOutBits(m, vocab, held).bitsPerChar,
      ]),
    ),
    transformer: lessons.heldOutBits(scorer, vocab, held).bitsPerChar,
    bits: lessons.characterBits(scorer, vocab, text).map((b) => b.bits),
    attention: noGrad(() =>
      [0, 1].map((layer) => scope(() => model.attentionWeights(tensor([ids], { dtype: 'int32' }), layer).toArray())[0]),
    ),
    samples: lessons.samplePoems(model, vocab, { count: 6, seed: 7, temperature: 0.8 }),
    firstSteps: [] as number[],
  };
  model.dispose();
  // the first steps of a live run, by the CLI's trainer with the page's settings
  const trainer = new lessons.CharTransformerTrainer(vocab, train, {
    seed: CONFIG.seed,
    epochs: CONFIG.epochs,
    batchSize: CONFIG.batchSize,
    model: CONFIG.model,
  });
  ref.firstSteps = [trainer.next().bits, trainer.next().bits];
  trainer.finish().dispose();
  return ref;
}

test.describe('8 poems, 1280 px', () => {
  test.describe.configure({ mode: 'serial' });
  let ref: Awaited<ReturnType<typeof reference>>;
  let page: Page;
  /** Uncaught page errors. */
  let errors: string[];
  /** Console warnings and errors. */
  let consoleLines: string[];
  test.beforeAll(async ({ browser }) => {
    ({ page, errors, console: consoleLines } = await open(browser));
  });
  test.afterAll(() => page?.close());

  test('8 poems: the shipped weights load in Node and give the held-out bits/char they claim (within 1e-6)', async () => {
    ref = await reference();
    expect(near(ref.check.bits, ref.check.claimed, 1e-6), `${ref.check.bits} vs ${ref.check.claimed}`).toBeTruthy();
    expect(
      ref.transformer < ref.baselines.bigram && ref.baselines.bigram < ref.entropy,
      'the model does not beat the baselines',
    ).toBeTruthy();
  });

  test('8 poems: Generate before a model, and bad temperatures and seeds, get a message in place and run nothing', async () => {
    await page.click('#poem-generate');
    expect((await text(page, '#poem-error')) === 'Train or load the model first.', 'no message before a model').toBeTruthy();
    for (const [v, says] of [
      ['0', /more than 0/],
      ['-1', /more than 0/],
      ['abc', /not a number/],
      ['0x1A', /not a number/],
      ['6', /at most 5/],
      ['', /empty|type/i],
    ] as const) {
      await page.fill('#poem-temperature', v);
      await page.click('#poem-generate');
      const msg = await text(page, '#poem-temperature-error');
      expect(says.test(msg), `temperature "${v}": message "${msg}"`).toBeTruthy();
      expect(
        (await page.getAttribute('#poem-temperature', 'aria-invalid')) === 'true',
        `temperature "${v}" not marked invalid`,
      ).toBeTruthy();
      expect(await page.evaluate(() => document.activeElement?.id === 'poem-temperature'), 'the bad field is not focused').toBeTruthy();
    }
    await page.fill('#poem-temperature', '0.8');
    await page.fill('#poem-seed', '1.5');
    await page.click('#poem-generate');
    expect(/whole number/.test(await text(page, '#poem-seed-error')), 'no message for a seed of 1.5').toBeTruthy();
    await page.fill('#poem-seed', '7');
    expect(
      (await text(page, '#poem-temperature-error')) === '' && (await text(page, '#poem-seed-error')) === '',
      'messages stay',
    ).toBeTruthy();
  });

  test('8 poems: loaded weights give the bits/char computed in Node; the baselines and their lines are the CLI’s', async () => {
    await page.click('#poem-load');
    await page.waitForSelector('#poem-model[data-source="shipped"]', { timeout: 120_000 });
    const held = Number(await page.getAttribute('#poem-model', 'data-held-out'));
    expect(near(held, ref.transformer, 1e-6), `page ${held} vs Node ${ref.transformer}`).toBeTruthy();
    expect(Number(await page.getAttribute('#poem-model', 'data-claimed')) === ref.check.claimed, 'claimed bits differ').toBeTruthy();
    for (const name of ['uniform', 'unigram', 'bigram']) {
      const b = Number(await page.getAttribute(`#poem-scores tr[data-model="${name}"]`, 'data-bits'));
      expect(near(b, ref.baselines[name], 1e-12), `${name}: page ${b} vs Node ${ref.baselines[name]}`).toBeTruthy();
    }
    const tb = Number(await page.getAttribute('#poem-scores tr[data-model="transformer"]', 'data-bits'));
    expect(near(tb, ref.transformer, 1e-6), `table ${tb}`).toBeTruthy();
    expect(near(Number(await page.getAttribute('#poem-curve', 'data-entropy')), ref.entropy, 1e-12), 'the entropy line').toBeTruthy();
    expect(
      near(Number(await page.getAttribute('#poem-curve', 'data-bigram')), ref.baselines.bigram, 1e-12),
      'the bigram line',
    ).toBeTruthy();
    // the chart marks where the loaded model ends: its held-out bits after all its steps
    const [end] = JSON.parse(await page.getAttribute('#poem-curve', 'data-held-out'));
    expect(
      end.step === Number(ref.check.metadata.steps) && near(end.bits, ref.transformer, 1e-6),
      `chart: ${JSON.stringify(end)}`,
    ).toBeTruthy();
    const kb = Number(await page.getAttribute('#poem-data', 'data-corpus-bytes')) / 1024;
    expect(kb > 200 && kb < 400, `the poems file is ${kb} KB`).toBeTruthy();
    expect(
      (await text(page, '#poem-status')).includes(ref.check.claimed.toFixed(6)),
      'the status does not say the claimed bits',
    ).toBeTruthy();
  });

  test('8 poems: each character of 春曉 is coloured by −log₂ p from the model, with its number and a legend', async () => {
    const cells = await page.$$eval('#poem-famous .poem-char', (bs) =>
      bs.map((b) => ({
        bits: Number(b.dataset.bits),
        shown: b.querySelector('.poem-bits').textContent,
        label: b.getAttribute('title'),
        bg: getComputedStyle(b.querySelector('.poem-glyph')).backgroundColor,
      })),
    );
    expect(cells.length === 24, `${cells.length} characters`).toBeTruthy();
    cells.forEach((c, i) => {
      expect(near(c.bits, ref.bits[i], 1e-5), `character ${i}: page ${c.bits} vs Node ${ref.bits[i]}`).toBeTruthy();
      expect(c.shown === ref.bits[i].toFixed(1), `character ${i} shows ${c.shown}`).toBeTruthy();
      expect(c.label.includes(`${ref.bits[i].toFixed(2)} bits`), `character ${i}: label ${c.label}`).toBeTruthy();
    });
    // more bits, darker: the most surprising character is darker than the least surprising one
    const lum = (s) =>
      s
        .match(/\d+/g)
        .slice(0, 3)
        .reduce((a, v) => a + Number(v), 0);
    const hi = ref.bits.indexOf(Math.max(...ref.bits));
    const lo = ref.bits.indexOf(Math.min(...ref.bits));
    expect(lum(cells[hi].bg) < lum(cells[lo].bg), `${cells[hi].bg} is not darker than ${cells[lo].bg}`).toBeTruthy();
    expect((await page.locator('#poem-legend .poem-legend-cell').count()) === 5, 'no legend').toBeTruthy();
    const total = Number(await page.getAttribute('#poem-famous', 'data-total'));
    expect(
      near(
        total,
        ref.bits.reduce((a, b) => a + b, 0),
        1e-4,
      ),
      'the total',
    ).toBeTruthy();
  });

  test('8 poems: a chosen head’s attention over the characters before one is the model’s, and sums to 1', async () => {
    await page.selectOption('#poem-head', '1:2');
    await page.locator('#poem-famous .poem-char[data-index="10"]').focus();
    await page.keyboard.press('Enter');
    expect((await page.getAttribute('#poem-famous .poem-char[data-index="10"]', 'aria-pressed')) === 'true', 'not pressed').toBeTruthy();
    const row = JSON.parse(await page.getAttribute('#poem-attention', 'data-row'));
    const want = ref.attention[1][2][10].slice(0, 11);
    expect(row.length === 11, `${row.length} weights for the 11th character`).toBeTruthy();
    const err = Math.max(...row.map((w, j) => Math.abs(w - want[j])));
    expect(err <= 1e-5, `attention differs from Node's by ${err}`).toBeTruthy();
    const sum = row.reduce((a, b) => a + b, 0);
    expect(near(sum, 1, 1e-5), `the row sums to ${sum}`).toBeTruthy();
    expect((await page.locator('#poem-attention li').count()) === 11, 'one bar per preceding position').toBeTruthy();
    expect(
      ref.attention[1][2][10].slice(11).every((w) => w === 0),
      'Node: attention after the position',
    ).toBeTruthy();
  });

  test('8 poems: Generate at temperature 0.8, seed 7, draws the poems Node draws from the same weights', async () => {
    await page.fill('#poem-temperature', '0.8');
    await page.fill('#poem-seed', '7');
    await page.click('#poem-generate');
    await page.waitForSelector('#poem-samples li');
    const got = await page.$$eval('#poem-samples li', (ls) => ls.map((l) => l.textContent));
    expect(JSON.stringify(got) === JSON.stringify(ref.samples), `page ${got.join(' ')} vs Node ${ref.samples.join(' ')}`).toBeTruthy();
    // the slider and the field are one setting
    await page.locator('#poem-temperature-slider').fill('1.5');
    expect((await page.inputValue('#poem-temperature')) === '1.5', 'the slider does not set the field').toBeTruthy();
  });

  test('8 poems: live training runs the CLI’s steps, stops between steps and resumes', async () => {
    await page.click('#poem-train');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#poem-status')?.dataset.step) >= 2, null, {
      timeout: 180_000,
    });
    await page.click('#poem-stop');
    await page.waitForSelector('#poem-train:not([disabled])', { timeout: 60_000 });
    const stoppedAt = Number(await page.getAttribute('#poem-status', 'data-step'));
    expect((await text(page, '#poem-train')) === 'Resume', 'Train does not become Resume').toBeTruthy();
    expect((await text(page, '#poem-status')).startsWith(`Stopped at step ${stoppedAt} of`), await text(page, '#poem-status')).toBeTruthy();
    const losses = JSON.parse(await page.getAttribute('#poem-curve', 'data-losses'));
    expect(losses.length === stoppedAt, `${losses.length} losses for ${stoppedAt} steps`).toBeTruthy();
    ref.firstSteps.forEach((b, i) => {
      expect(near(losses[i], b, 1e-4), `step ${i + 1}: page ${losses[i]} vs Node ${b}`).toBeTruthy();
    });
    // the run is drawn with its two lines
    expect((await page.locator('#poem-curve svg g[aria-label="rule"] line').count()) >= 2, 'the lines are not drawn').toBeTruthy();
    await page.waitForTimeout(500);
    expect(Number(await page.getAttribute('#poem-status', 'data-step')) === stoppedAt, 'training went on after Stop').toBeTruthy();
    await page.click('#poem-train');
    await page.waitForFunction((s) => Number(document.querySelector<HTMLElement>('#poem-status')?.dataset.step) > s, stoppedAt, {
      timeout: 120_000,
    });
    await page.click('#poem-stop');
    await page.waitForSelector('#poem-train:not([disabled])', { timeout: 60_000 });
    const after = JSON.parse(await page.getAttribute('#poem-curve', 'data-losses'));
    expect(
      after.length > stoppedAt && after.slice(0, stoppedAt).every((v, i) => v === losses[i]),
      'resume did not go on from the stop',
    ).toBeTruthy();
    await page.locator('#lesson-poem').scrollIntoViewIfNeeded();
    await page.locator('#lesson-poem').screenshot({ path: join(shots, 'poem-1280-en.png') });
    const v = await axe(page);
    expect(v.length === 0, `violations: ${v.join(' | ')}`).toBeTruthy();
    const all = [...errors, ...consoleLines];
    expect(all.length === 0, `console: ${all.join(' | ')}`).toBeTruthy();
  });
});

test.describe('8 poems, both languages at both widths', () => {
  for (const [width, lang] of [
    [390, 'en'],
    [390, 'zh-CN'],
    [1280, 'zh-CN'],
  ] as const) {
    test(`8 poems ${lang} ${width} px: nothing wider than the screen, nothing clipped, ${lang === 'en' ? 'English' : 'no untranslated English'}, axe-core clean`, async ({
      browser,
    }) => {
      const { page: p, errors: errs } = await open(browser, { width, query: `?lang=${lang}` });
      await p.fill('#poem-temperature', '0');
      await p.click('#poem-generate');
      const msg = await text(p, '#poem-temperature-error');
      expect(lang === 'en' ? /more than 0/.test(msg) : /大于 0/.test(msg), `message: ${msg}`).toBeTruthy();
      await p.fill('#poem-temperature', '0.8');
      await p.click('#poem-load');
      await p.waitForSelector('#poem-model[data-source="shipped"]', { timeout: 120_000 });
      await p.click('#poem-generate');
      await p.waitForSelector('#poem-samples li');
      const wide = await p.evaluate(() => document.documentElement.scrollWidth);
      expect(wide <= width, `the page is ${wide} px wide`).toBeTruthy();
      const boxes = await p.$$eval('#lesson-poem svg, #lesson-poem .poem-line, #lesson-poem .attention-row, #lesson-poem table', (es) =>
        es.map((e) => e.getBoundingClientRect().right),
      );
      expect(
        boxes.every((r) => r <= width),
        `a box reaches ${Math.max(...boxes)} px`,
      ).toBeTruthy();
      const clipped = await clippedText(p);
      expect(clipped.length === 0, `clipped: ${clipped.join(' | ')}`).toBeTruthy();
      if (lang !== 'en') {
        const words = await p.evaluate((allowed) => {
          const found = new Set<string>();
          const walk = document.createTreeWalker(document.getElementById('lesson-poem'), NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const el = n.parentElement;
            if (!el || el.closest('code, .formula, [lang="en"], script, style')) continue;
            for (const [w] of (n as Text).data.matchAll(/[A-Za-z][A-Za-z0-9-]*/g)) if (!allowed.includes(w)) found.add(w);
          }
          return [...found];
        }, ALLOWED);
        expect(words.length === 0, `English words on the Chinese page: ${words.join(', ')}`).toBeTruthy();
        expect((await text(p, '#lesson-poem-title')) === '8. 交叉熵训练 Transformer', 'the title').toBeTruthy();
      }
      const v = await axe(p);
      expect(v.length === 0, `violations: ${v.join(' | ')}`).toBeTruthy();
      await p.locator('#lesson-poem').scrollIntoViewIfNeeded();
      await p.locator('#lesson-poem').screenshot({ path: join(shots, `poem-${width}-${lang}.png`) });
      expect(errs.length === 0, `page errors: ${errs.join(' | ')}`).toBeTruthy();
      await p.close();
    });
  }
});
