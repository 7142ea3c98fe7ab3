// The demo page by page in headless Chromium: every lesson at 1280 px on one page, in order
// (each test continues from the state the last one left), then a phone at 390 px, then the
// Chinese page at 390 px and 1280 px. Screenshots of every lesson go to e2e/screenshots/.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import {
  axe,
  base,
  clippedText,
  download,
  expect,
  hasHan,
  LESSONS,
  open,
  ortProbs,
  rejects,
  root,
  servePlain,
  shot,
  shots,
  squeezedCharts,
  test,
  text,
  untranslated,
} from './fixtures';

/** Drags bar i of lesson 1's chart to value v, through several pointer moves. */
async function dragBar(page, i, v) {
  const bar = page.locator('#info-chart g[aria-label="bar"] rect').nth(i);
  await bar.scrollIntoViewIfNeeded();
  const b = await bar.boundingBox();
  // the y grid lines sit at P = 0, 0.1, …, 1: the chart's own scale, read off the screen
  const plot = await page.evaluate(() => {
    const lines = [...document.querySelectorAll('#info-chart g[aria-label="y-grid"] line')].map((l) => l.getBoundingClientRect().y);
    return { top: Math.min(...lines), bottom: Math.max(...lines) };
  });
  const yOf = (p) => plot.bottom - (plot.bottom - plot.top) * p;
  const x = b.x + b.width / 2;
  await page.mouse.move(x, b.y + b.height - 2);
  await page.mouse.down();
  await page.mouse.move(x + 30, yOf(v / 2), { steps: 3 });
  await page.mouse.move(x - 30, yOf(v), { steps: 3 });
  await page.mouse.up();
}
const probs = async (page) => (await page.inputValue('#info-probs')).split(',').map(Number);

/** The 784 grey levels of the "what it read" image, as the network's input (k / 255). */
const seenInput = (page) =>
  page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('#digits-input');
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    return Array.from({ length: 784 }, (_, i) => d[4 * i] / 255);
  });

/** Checks that ONNX Runtime reads the page's last input as the page did: same digit, same probability. */
async function sameReading(page, bytes, shape) {
  const p = await ortProbs(bytes, await seenInput(page), shape);
  const best = p.indexOf(Math.max(...p));
  const pageBest = await text(page, '#digit-prediction');
  expect(String(best) === pageBest, `ONNX Runtime reads ${best}, the page ${pageBest}`).toBeTruthy();
  const pagePct = (await text(page, '#digits-result .readout')).match(/\(([\d.]+)%\)/)[1];
  expect((p[best] * 100).toFixed(1) === pagePct, `ONNX Runtime gives ${(p[best] * 100).toFixed(1)} %, the page ${pagePct} %`).toBeTruthy();
}

const BACKPROP_EN = { total: /of (\d+)/, counter: (i, n) => `step ${i} of ${n}`, done: 'Done' };
const BACKPROP_ZH = { total: /共 (\d+) 步/, counter: (i, n) => `第 ${i} 步，共 ${n} 步`, done: '完成' };

/** Steps lesson 5 to its end; checks the active node is on screen and each text fits its box. */
async function walkBackprop(page, words = BACKPROP_EN) {
  await page.locator('#lesson-backprop').scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() =>
    [...document.querySelectorAll('.graph-node')].flatMap((g) => {
      const w = Number(g.querySelector('rect').getAttribute('width'));
      return [...g.querySelectorAll('text')].filter((t) => t.getBBox().x + t.getBBox().width > w - 2).map((t) => t.textContent);
    }),
  );
  expect(overflow.length === 0, `text overflows its node: ${overflow.join(' | ')}`).toBeTruthy();
  const total = Number((await text(page, '#bp-counter')).match(words.total)[1]);
  expect(total >= 8, `only ${total} steps`).toBeTruthy();
  for (let i = 1; i <= total; i++) {
    expect(await page.isEnabled('#bp-next'), `"Next step" disabled at step ${i - 1}`).toBeTruthy();
    await page.click('#bp-next');
    expect((await text(page, '#bp-counter')) === words.counter(i, total), `counter reads ${await text(page, '#bp-counter')}`).toBeTruthy();
    const seen = await page.evaluate(() => {
      const a = document.querySelector('.graph-node.active').getBoundingClientRect();
      const box = document.querySelector('#bp-graph').getBoundingClientRect();
      return a.left >= box.left - 1 && a.right <= box.right + 1;
    });
    expect(seen, `step ${i}: the active node is outside the visible graph`).toBeTruthy();
  }
  expect(!(await page.isEnabled('#bp-next')), '"Next step" still enabled at the end').toBeTruthy();
  expect((await page.getAttribute('#bp-step', 'data-done')) === 'true', 'no end state').toBeTruthy();
  expect((await text(page, '#bp-step')).includes(words.done), 'the end is not announced').toBeTruthy();
}

test.describe('1280 px', () => {
  test.describe.configure({ mode: 'serial' });
  let page: Page;
  let errors: string[];
  let consoleErrors: string[];
  test.beforeAll(async ({ browser }) => {
    // English pages say so: the page's language otherwise follows the browser's
    ({ page, errors, consoleErrors } = await open(browser));
  });
  test.afterAll(() => page?.close());

  test('seeded randomness: the page draws the same numbers as Node, bit for bit', async () => {
    const { manualSeed, randn } = await import('@gd/tensor');
    manualSeed(42);
    const node = `[${Array.from(randn([4]).data()).join(', ')}]`;
    const page_ = await text(page, '#seed-check');
    expect(page_ === node, `page ${page_} vs Node ${node}`).toBeTruthy();
  });

  test('served cross-origin isolated: the worker trains on every core, and the page says so', async () => {
    const res = await fetch(base);
    expect(res.headers.get('cross-origin-opener-policy') === 'same-origin', 'no COOP header').toBeTruthy();
    expect(res.headers.get('cross-origin-embedder-policy') === 'require-corp', 'no COEP header').toBeTruthy();
    expect(await page.evaluate(() => crossOriginIsolated), 'the page is not cross-origin isolated').toBeTruthy();
    await page.waitForSelector('#threads[data-threads]', { timeout: 30_000 });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Number(await page.getAttribute('#threads', 'data-threads'));
    expect(threads === cores, `the worker trains on ${threads} threads of ${cores} cores`).toBeTruthy();
    const note = await text(page, '#threads');
    expect(note.includes(`on ${threads} thread`) && note.includes('is cross-origin isolated'), `the note: ${note}`).toBeTruthy();
    // gd's worker threads are Web Workers started from the training worker
    const workers = page.workers().length;
    expect(workers >= threads, `${workers} workers for ${threads} threads`).toBeTruthy();
  });

  test('1 information: the uniform 4-outcome distribution reads 2 bits, in nats ln 4', async () => {
    await page.click('button[data-preset="uniform 4"]');
    expect((await text(page, '#entropy-value')) === '2.0000 bits', `entropy shows ${await text(page, '#entropy-value')}`).toBeTruthy();
    await page.selectOption('#info-unit', 'nats');
    expect(
      (await text(page, '#entropy-value')) === `${Math.log(4).toFixed(4)} nats`,
      `in nats: ${await text(page, '#entropy-value')}`,
    ).toBeTruthy();
    await page.selectOption('#info-unit', 'bits');
    await page.click('button[data-preset="fair coin"]');
    expect((await text(page, '#entropy-value')) === '1.0000 bits', 'a fair coin is 1 bit').toBeTruthy();
    await page.fill('#info-probs', '0.7, 0.1, 0.1, 0.1');
    const h = Number.parseFloat(await text(page, '#entropy-value'));
    expect(h > 1.35 && h < 1.36, `peaked 4-outcome entropy ${h} (expected ≈ 1.3568)`).toBeTruthy();
  });

  test('1 information: a bar follows the drag, and the other bars share the rest', async () => {
    await page.click('button[data-preset="uniform 4"]');
    await dragBar(page, 2, 0.7);
    const p = await probs(page);
    expect(Math.abs(p[2] - 0.7) < 0.03, `x3 dragged to 0.7 reads ${p[2]}`).toBeTruthy();
    expect(Math.abs(p[0] - 0.1) < 0.02 && Math.abs(p[3] - 0.1) < 0.02, `the others: ${p}`).toBeTruthy();
  });

  test('1 information: with 12 outcomes the bars read x1…x12 in order and x10 is the one dragged', async () => {
    await page.fill('#info-probs', Array(12).fill('1').join(', '));
    const labels = await page.locator('#info-chart g[aria-label="x-axis tick label"] text').allTextContents();
    expect(labels.join() === Array.from({ length: 12 }, (_, i) => `x${i + 1}`).join(), `bar order ${labels}`).toBeTruthy();
    await dragBar(page, 9, 0.5);
    const p = await probs(page);
    expect(Math.abs(p[9] - 0.5) < 0.03 && p[1] < 0.1, `after dragging x10: ${p}`).toBeTruthy();
  });

  test('1 information: bad distributions get a message beside the field and keep the chart', async () => {
    await page.click('button[data-preset="peaked"]');
    for (const bad of ['', '0.5, abc', '-0.2, 1', '1', '0, 0, 0', '1e400, 1']) {
      await page.fill('#info-probs', bad);
      expect((await text(page, '#info-probs-error')).length > 0, `"${bad}": no message`).toBeTruthy();
      expect((await page.locator('#info-chart').count()) === 1, `"${bad}": the chart is gone`).toBeTruthy();
    }
    await page.fill('#info-probs', '0.5, 0.5');
    expect(
      (await text(page, '#info-probs-error')) === '' && (await text(page, '#entropy-value')) === '1.0000 bits',
      'fixed input not taken',
    ).toBeTruthy();
  });

  test('2 cross-entropy: H(Y, Ŷ) = H(Y) + KL, and equals H(Y) when Ŷ = Y', async () => {
    const num = async (sel) => Number.parseFloat(await text(page, sel));
    const [h, ce, kl] = [await num('#ce-h'), await num('#ce-ce'), await num('#ce-kl')];
    expect(Math.abs(ce - (h + kl)) < 2e-4, `H ${h} + KL ${kl} ≠ CE ${ce}`).toBeTruthy();
    expect(kl > 0, 'KL > 0 for different distributions').toBeTruthy();
    await page.fill('#ce-mix', '1');
    await page.dispatchEvent('#ce-mix', 'input');
    expect((await num('#ce-kl')) < 1e-3, `KL at Ŷ = Y is ${await num('#ce-kl')}`).toBeTruthy();
    await page.fill('#ce-mix', '0');
    await page.dispatchEvent('#ce-mix', 'input');
  });

  test('2 cross-entropy: mismatched or bad lists are explained beside their field', async () => {
    await rejects(page, '#ce-pred', ['0.5, 0.5', 'a, b, c', '', '-1, 1, 1']);
    await rejects(page, '#ce-true', ['0.7, x, 0.1', '0, 0, 0']);
    expect(!(await page.locator('#ce-output .error').count()), 'a library error is shown').toBeTruthy();
  });

  test('3 line fit: |Δloss| < 1e-10 in float32 and float64 side by side, stopping at different iterations, and why', async () => {
    const n32 = Number(await text(page, '#fit-f32-iterations'));
    const n64 = Number(await text(page, '#fit-f64-iterations'));
    expect(Number.isInteger(n32) && Number.isInteger(n64) && n32 > 10 && n64 > 10, `iterations ${n32}, ${n64}`).toBeTruthy();
    expect(n32 !== n64, `both stop after ${n32} iterations`).toBeTruthy();
    // float64 stops on a real change below 1e-10; float32 on a change it could not represent
    const d64 = Number(await text(page, '#fit-f64-change'));
    const d32 = Number(await text(page, '#fit-f32-change'));
    expect(d64 > 0 && d64 < 1e-10, `float64's last change ${d64}`).toBeTruthy();
    expect(Math.abs(d32) < 1e-10, `float32's last change ${d32}`).toBeTruthy();
    const off32 = Number(await text(page, '#fit-f32-off'));
    const off64 = Number(await text(page, '#fit-f64-off'));
    expect(off64 < off32, `float64 ends ${off64} from least squares, float32 ${off32}`).toBeTruthy();
    const why = await text(page, '#fit-precision-why');
    expect(
      why.includes(`after ${n32} iterations`) && why.includes(`after ${n64} iterations`) && why.includes('apart'),
      `the note: ${why}`,
    ).toBeTruthy();
  });

  test('3 line fit: each criterion stops with its own reason; a too-large η reports divergence', async () => {
    for (const [criterion, threshold] of [
      ['loss-tolerance', '1e-8'],
      ['grad-tolerance', '1e-3'],
      ['max-iterations', '25'],
    ]) {
      await page.selectOption('#fit-criterion', criterion);
      await page.fill('#fit-threshold', threshold);
      await page.fill('#fit-lr', '0.1');
      await page.click('#fit-run');
      expect(
        (await page.getAttribute('#fit-reason', 'data-reason')) === criterion,
        `criterion ${criterion}: stopped with ${await text(page, '#fit-reason')}`,
      ).toBeTruthy();
      if (criterion === 'max-iterations') expect((await text(page, '#fit-iterations')) === '25', 'ran 25 iterations').toBeTruthy();
    }
    await page.selectOption('#fit-criterion', 'grad-tolerance');
    await page.fill('#fit-threshold', '1e-3');
    await page.fill('#fit-lr', '2.5');
    await page.click('#fit-run');
    expect((await text(page, '#fit-reason')) === 'diverged', `η = 2.5 gave ${await text(page, '#fit-reason')}`).toBeTruthy();
    await page.fill('#fit-lr', '0.1');
    await page.click('#fit-run');
  });

  test('3 line fit: empty, letters, negative, zero, huge and fractional inputs are refused in place', async () => {
    await rejects(page, '#fit-lr', ['', 'abc', '-1', '0', '1e9'], '#fit-run', '#fit-output');
    await rejects(page, '#fit-a', ['', 'x', '1e300'], '#fit-run', '#fit-output');
    await rejects(page, '#fit-threshold', ['', 'abc', '-1e-3', '0'], '#fit-run', '#fit-output');
    await page.selectOption('#fit-criterion', 'max-iterations');
    await rejects(page, '#fit-threshold', ['1e7', '1000001', '2.5', '0', '-3'], '#fit-run', '#fit-output');
    expect((await text(page, '#fit-threshold-error')) === '', 'message left').toBeTruthy();
    await page.selectOption('#fit-criterion', 'grad-tolerance');
    await page.click('#fit-run');
  });

  test('3 line fit: a million iterations run in chunks with progress; the page stays live and Stop ends the run', async () => {
    await page.selectOption('#fit-criterion', 'max-iterations');
    await page.fill('#fit-threshold', '1e6');
    await page.click('#fit-run');
    await page.waitForFunction(
      () => /iteration [\d,]+ of 1,000,000/.test(document.querySelector('#fit-progress')?.textContent ?? ''),
      null,
      {
        timeout: 10_000,
      },
    );
    expect(!(await page.isEnabled('#fit-run')) && (await page.isEnabled('#fit-stop')), 'Run/Stop states during a run').toBeTruthy();
    // the page answers while the run goes on: lesson 1 reacts to a click before the run ends
    await page.click('button[data-preset="fair coin"]');
    const entropy = await text(page, '#entropy-value');
    const running = await page.isEnabled('#fit-stop');
    expect(
      entropy === '1.0000 bits' && running,
      `lesson 1 showed ${entropy}; the run was ${running ? 'still going' : 'over'}`,
    ).toBeTruthy();
    await page.click('#fit-stop');
    await page.waitForFunction(() => document.querySelector('#fit-reason')?.textContent === 'stopped', null, { timeout: 10_000 });
    const n = Number(await text(page, '#fit-iterations'));
    expect(n >= 2_000 && n < 1_000_000, `stopped after ${n} iterations`).toBeTruthy();
    expect(await page.isEnabled('#fit-run'), 'Run not re-enabled after Stop').toBeTruthy();
    await page.selectOption('#fit-criterion', 'grad-tolerance');
    await page.click('#fit-run');
    expect((await page.getAttribute('#fit-reason', 'data-reason')) === 'grad-tolerance', 'a normal run after Stop').toBeTruthy();
  });

  const paths = async () => JSON.parse(await page.getAttribute('#opt-output', 'data-paths'));
  const dist = (p, q) => Math.hypot(p[0] - q[0], p[1] - q[1]);
  test('4 optimizers: the defaults show each claim — GD zig-zags, momentum and Adam get closer, minimum marked', async () => {
    await page.selectOption('#opt-surface', 'quadratic');
    const q = await paths();
    const flips = (pts) => pts.slice(1).filter((p, i) => Math.sign(p[1]) !== Math.sign(pts[i][1])).length;
    expect(flips(q.GD) > 20, `GD crosses the valley floor only ${flips(q.GD)} times`).toBeTruthy();
    expect(dist(q.momentum.at(-1), [0, 0]) < dist(q.GD.at(-1), [0, 0]) / 2, 'momentum is not ahead of GD').toBeTruthy();
    expect(dist(q.Adam.at(-1), [0, 0]) < dist(q.GD.at(-1), [0, 0]), 'Adam is not ahead of GD').toBeTruthy();
    const gdOnSgd = q.GD.filter((p, i) => q.SGD[i] && dist(p, q.SGD[i]) < 0.02).length;
    expect(gdOnSgd < q.GD.length / 3, `GD’s path hides under SGD’s (${gdOnSgd} points)`).toBeTruthy();
    expect((await page.locator('#opt-output svg text', { hasText: 'minimum' }).count()) === 1, 'the minimum is not marked').toBeTruthy();
    await page.selectOption('#opt-surface', 'rosenbrock');
    const r = await paths();
    expect(dist(r.momentum.at(-1), [1, 1]) < 0.1, `momentum ends at ${r.momentum.at(-1)} on Rosenbrock`).toBeTruthy();
    expect(dist(r.GD.at(-1), [1, 1]) > 0.5, 'GD should still be crawling along the valley').toBeTruthy();
    await page.selectOption('#opt-surface', 'linefit');
    const l = await paths();
    for (const m of ['GD', 'momentum', 'Adam']) expect(l[m].length === 61, `${m} stopped early on the line fit`).toBeTruthy();
    await page.selectOption('#opt-surface', 'quadratic');
  });

  test('4 optimizers: a too-large step reads "diverged", not a number off the chart', async () => {
    await page.fill('#opt-lr', '0.05');
    await page.click('#opt-run');
    const summary = await text(page, '#opt-summary');
    expect(/GD: diverged after \d+ steps/.test(summary), `summary: ${summary}`).toBeTruthy();
    expect(!/e\+/.test(summary), `huge numbers shown: ${summary}`).toBeTruthy();
    expect(
      (await page.locator('#opt-output figcaption', { hasText: 'GD (diverged)' }).count()) === 1,
      'legend does not say diverged',
    ).toBeTruthy();
    await page.fill('#opt-lr', '0.038');
    await page.click('#opt-run');
  });

  test('4 optimizers: bad inputs are refused in place and nothing throws', async () => {
    await rejects(page, '#opt-batch', ['0', '', 'ten', '2.5', '101'], '#opt-run', '#opt-output');
    await rejects(page, '#opt-steps', ['0', '-5', '1e7', '1.5'], '#opt-run', '#opt-output');
    await rejects(page, '#opt-lr', ['0', '-0.1', 'abc'], '#opt-run', '#opt-output');
    await rejects(page, '#opt-momentum', ['1', '-0.5'], '#opt-run', '#opt-output');
    await rejects(page, '#opt-noise', ['-1', 'x'], '#opt-run', '#opt-output');
  });

  test('5 backpropagation: gradcheck passes in float64 to < 1e-6, far tighter than the float32 check', async () => {
    expect((await text(page, '#bp-gradcheck')) === 'ok', 'gradcheck failed').toBeTruthy();
    const e64 = Number(await text(page, '#bp-gradcheck-error'));
    const e32 = Number(await text(page, '#bp-gradcheck-error32'));
    expect(e64 > 0 && e64 < 1e-6, `float64 max relative error ${e64}`).toBeTruthy();
    expect(e32 > 100 * e64 && e32 < 1e-1, `float32 max relative error ${e32} against float64 ${e64}`).toBeTruthy();
  });

  test('5 backpropagation: stepping walks from the loss to every weight and ends', async () => {
    await walkBackprop(page);
    await page.click('#lesson-backprop button.secondary');
    expect(await page.isEnabled('#bp-next'), 'Start over does not re-enable Next').toBeTruthy();
    await page.click('#bp-next');
    expect((await text(page, '#bp-step')).includes('∂L/∂L = 1'), 'the first step is the loss').toBeTruthy();
  });

  const epochOf = async () => Number(await page.getAttribute('#pg-status', 'data-epoch'));
  test('6 playground: the data and a heatmap per unit are shown before training; Step trains one epoch', async () => {
    await page.waitForSelector('#pg-status[data-epoch="0"]');
    expect((await page.locator('#pg-plots svg g[aria-label="dot"] circle').count()) === 400, 'the 400 points are not drawn').toBeTruthy();
    expect((await page.locator('#pg-net .pg-neuron').count()) === 6, 'one heatmap per hidden unit (4 + 2)').toBeTruthy();
    expect((await page.locator('#pg-net .pg-weight').count()) === 2 * 4 + 4 * 2 + 2, 'one line per weight').toBeTruthy();
    await page.click('#pg-step');
    await page.waitForSelector('#pg-status[data-epoch="1"]');
    const [tr, te] = [Number(await text(page, '#pg-train-loss')), Number(await text(page, '#pg-test-loss'))];
    expect(Number.isFinite(tr) && Number.isFinite(te) && tr > 0 && te > 0, `losses ${tr} ${te}`).toBeTruthy();
    const live = await page.getAttribute('#pg-status', 'data-tensors');
    for (let i = 2; i <= 4; i++) {
      await page.click('#pg-step');
      await page.waitForSelector(`#pg-status[data-epoch="${i}"]`);
    }
    const after = await page.getAttribute('#pg-status', 'data-tensors');
    expect(live === after, `live tensors in the worker grew from ${live} to ${after} over 3 epochs`).toBeTruthy();
  });

  test('6 playground: layers and neurons change with + and −, within limits; the URL keeps the setup', async () => {
    await page.click('#pg-add-layer');
    expect((await page.locator('#pg-layers .layer').count()) === 3, 'no third layer').toBeTruthy();
    await page.click('#pg-layers .layer[data-layer="2"] button[aria-label^="add a neuron"]');
    await page.waitForFunction(() => document.querySelectorAll('#pg-net .pg-neuron').length === 9);
    for (let i = 0; i < 10; i++) if (await page.isEnabled('#pg-remove-layer')) await page.click('#pg-remove-layer');
    expect(
      (await page.locator('#pg-layers .layer').count()) === 0 && !(await page.isEnabled('#pg-remove-layer')),
      'layers below 0',
    ).toBeTruthy();
    await page.waitForFunction(() => document.querySelectorAll('#pg-net .pg-neuron').length === 0);
    const url = new URL(page.url());
    expect(url.searchParams.get('hidden') === '', `URL hidden=${url.searchParams.get('hidden')}`).toBeTruthy();
    await page.click('#pg-add-layer');
    await page.click('#pg-add-layer');
    expect(new URL(page.url()).searchParams.get('hidden') === '2,2', 'URL does not follow the layers').toBeTruthy();
  });

  test('6 playground: bad settings are refused in place; Play is never stuck', async () => {
    await rejects(page, '#pg-batch', ['0', '-3', '1.5', '', '1000'], '#pg-play');
    await rejects(page, '#pg-lr', ['-1', '0', '', 'abc'], '#pg-play');
    await rejects(page, '#pg-noise', ['-5', 'x', '1e9'], '#pg-play');
    expect((await text(page, '#pg-play')).includes('Play'), 'Play is stuck as Pause').toBeTruthy();
    for (const b of await page.locator('#pg-features input').all()) await b.uncheck();
    await page.click('#pg-play');
    expect((await text(page, '#pg-features-error')).length > 0, 'no inputs: no message').toBeTruthy();
    expect(!(await text(page, '#lesson-digits')).includes('Training stopped'), 'a playground message landed in lesson 7').toBeTruthy();
    await page.check('#pg-features input[data-feature="x1"]');
    await page.check('#pg-features input[data-feature="x2"]');
  });

  test('6 playground: play learns the circle to > 90 % test accuracy, pause stops it; x1·x2 alone solves XOR', async () => {
    await page.selectOption('#pg-dataset', 'circle');
    await page.click('#pg-remove-layer');
    for (let i = 0; i < 4; i++) await page.click('#pg-layers .layer[data-layer="0"] button[aria-label^="add a neuron"]');
    await page.waitForFunction(() => document.querySelectorAll('#pg-net .pg-neuron').length === 6);
    await page.click('#pg-play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#pg-accuracy')?.textContent ?? '0') > 90, null, {
      timeout: 30_000,
    });
    await page.click('#pg-play');
    const e1 = await epochOf();
    await page.waitForTimeout(300);
    const e2 = await epochOf();
    await page.waitForTimeout(300);
    expect((await epochOf()) === e2 && e2 >= e1, `still training after pause: ${e1} ${e2} ${await epochOf()}`).toBeTruthy();
    await page.selectOption('#pg-dataset', 'xor');
    for (const b of await page.locator('#pg-features input').all()) await b.setChecked((await b.getAttribute('data-feature')) === 'x1·x2');
    await page.click('#pg-play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#pg-accuracy')?.textContent ?? '0') > 90, null, {
      timeout: 30_000,
    });
    await page.click('#pg-play');
    await page.selectOption('#pg-dataset', 'reg-gauss');
    await page.waitForSelector('#pg-status[data-epoch="0"]');
    expect((await page.locator('#pg-accuracy').count()) === 0, 'regression shows an accuracy').toBeTruthy();
  });

  test('6 playground: Regenerate draws new points (seed in the URL); a too-large rate reads "diverged" and stops', async () => {
    const first = await page.locator('#pg-plots svg g[aria-label="dot"] circle').first().getAttribute('cx');
    const seed = Number(new URL(page.url()).searchParams.get('seed'));
    await page.click('#pg-regenerate');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('seed') === String(s + 1), seed);
    await page.waitForFunction((c) => document.querySelector('#pg-plots svg g[aria-label="dot"] circle')?.getAttribute('cx') !== c, first);
    await page.selectOption('#pg-dataset', 'reg-plane');
    await page.selectOption('#pg-optimizer', 'sgd');
    await page.fill('#pg-lr', '10');
    await page.dispatchEvent('#pg-lr', 'change');
    await page.click('#pg-play');
    await page.waitForFunction(() => document.querySelector('#pg-status')?.textContent?.includes('diverged'), null, { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelector('#pg-play')?.textContent?.includes('Play'), null, { timeout: 5000 });
    await page.selectOption('#pg-optimizer', 'adam');
    await page.fill('#pg-lr', '0.03');
    await page.dispatchEvent('#pg-lr', 'change');
  });

  test('6 playground: a shared link opens the same setup', async ({ browser }) => {
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await other.goto(`${base}?dataset=spiral&hidden=3,5&features=x1,x2,sin%20x1&lr=0.01&regularization=l2&regRate=0.01#lesson-playground`);
    await other.waitForSelector('#pg-status[data-epoch="0"]', { timeout: 30_000 });
    expect((await other.inputValue('#pg-dataset')) === 'spiral', 'dataset not taken from the link').toBeTruthy();
    expect((await other.locator('#pg-net .pg-neuron').count()) === 8, 'layers not taken from the link').toBeTruthy();
    expect(await other.isChecked('#pg-features input[data-feature="sin x1"]'), 'features not taken from the link').toBeTruthy();
    expect(
      (await other.inputValue('#pg-reg')) === 'l2' && (await other.inputValue('#pg-lr')) === '0.01',
      'settings not taken',
    ).toBeTruthy();
    await other.close();
  });

  test('7 digits: bad epochs are refused; nothing trains', async () => {
    // first leave a trained circle on screen for the screenshots
    await page.selectOption('#pg-dataset', 'circle');
    for (const b of await page.locator('#pg-features input').all())
      await b.setChecked(['x1', 'x2'].includes(await b.getAttribute('data-feature')));
    await page.click('#pg-play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#pg-accuracy')?.textContent ?? '0') > 90, null, {
      timeout: 30_000,
    });
    await page.click('#pg-play');
    await rejects(page, '#digits-epochs', ['0', '', 'abc', '2.5', '1000'], '#digits-train', '#digits-status');
  });

  test('7 digits: a model trained for a short while reads a drawn 1 and a drawn 0', async () => {
    await page.fill('#digits-epochs', '2');
    await page.click('#digits-train');
    await page.waitForSelector('#digits-accuracy', { timeout: 180_000 });
    const acc = Number.parseFloat(await text(page, '#digits-accuracy'));
    expect(acc > 90, `held-out accuracy ${acc}%`).toBeTruthy();
    const draw = async (points) => {
      await page.click('#digits-clear');
      await page.locator('#digit-canvas').scrollIntoViewIfNeeded();
      const box = await page.locator('#digit-canvas').boundingBox();
      await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
      await page.mouse.down();
      for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
      await page.mouse.up();
      await page.click('#digits-predict');
      await page.waitForSelector('#digit-prediction');
      return text(page, '#digit-prediction');
    };
    const one = await draw([
      [142, 40],
      [140, 140],
      [138, 240],
    ]);
    expect(one === '1', `a vertical stroke read as ${one}`).toBeTruthy();
    const circle = Array.from({ length: 25 }, (_, i) => [
      140 + 62 * Math.sin((2 * Math.PI * i) / 24),
      140 - 95 * Math.cos((2 * Math.PI * i) / 24),
    ]);
    const zero = await draw(circle);
    expect(zero === '0', `an ellipse read as ${zero}`).toBeTruthy();
  });

  test('7 digits: the keyboard alternative puts a real MNIST digit on the canvas and the model reads it', async () => {
    await page.focus('#digits-sample');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#digits-sample-label')?.textContent?.match(/labelled \d/));
    const label = (await text(page, '#digits-sample-label')).match(/labelled (\d)/)[1];
    await page.click('#digits-predict');
    await page.waitForFunction((l) => document.querySelector('#digit-prediction')?.textContent === l, label, { timeout: 5000 });
  });

  test('7 digits: "Download ONNX" saves digits-mlp.onnx; ONNX Runtime reads the digit as the page does', async () => {
    const { name, bytes } = await download(page, '#digits-onnx');
    expect(name === 'digits-mlp.onnx', `downloaded ${name}`).toBeTruthy();
    // a ModelProto starts with field 1 (ir_version, varint): tag byte 0x08
    expect(bytes[0] === 0x08 && bytes.length > 100_000, `not an ONNX model: ${bytes.length} bytes starting ${bytes[0]}`).toBeTruthy();
    await sameReading(page, bytes, [1, 784]);
    expect((await text(page, '#digits-onnx-status')).startsWith('Saved digits-mlp.onnx'), 'no confirmation').toBeTruthy();
  });

  test('7 digits: the CNN trains in the worker with progress and draws its 8 learned 5×5 filters', async () => {
    await page.selectOption('#digits-model', 'cnn');
    await page.fill('#digits-epochs', '2');
    const t0 = Date.now();
    await page.click('#digits-train');
    await page.waitForFunction(() => document.querySelector('#digits-status')?.textContent?.includes('CNN: step'), null, {
      timeout: 60_000,
    });
    await page.waitForSelector('#digits-accuracy', { timeout: 120_000 });
    const seconds = (Date.now() - t0) / 1000;
    console.log(`    CNN in the page: 2 epochs of 8,000 images in ${seconds.toFixed(1)} s`);
    expect((await text(page, '#digits-status')).startsWith('CNN trained'), `status: ${await text(page, '#digits-status')}`).toBeTruthy();
    const acc = Number.parseFloat(await text(page, '#digits-accuracy'));
    expect(acc > 95, `CNN held-out accuracy ${acc}%`).toBeTruthy();
    const filters = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('#digits-filters canvas.digits-filter')].map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const colours = new Set();
        for (let i = 0; i < d.length; i += 4) colours.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return { w: c.width, h: c.height, colours: colours.size };
      }),
    );
    expect(filters.length === 8, `${filters.length} filter images`).toBeTruthy();
    for (const f of filters)
      expect(f.w === 50 && f.h === 50 && f.colours > 5, `a blank or flat filter image: ${JSON.stringify(f)}`).toBeTruthy();
    await page.focus('#digits-sample');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#digits-sample-label')?.textContent?.match(/labelled \d/));
    const label = (await text(page, '#digits-sample-label')).match(/labelled (\d)/)[1];
    await page.click('#digits-predict');
    await page.waitForFunction((l) => document.querySelector('#digit-prediction')?.textContent === l, label, { timeout: 5000 });
  });

  test('7 digits: the CNN downloads as digits-cnn.onnx that reads like the page, or says why it cannot', async () => {
    const downloaded = page.waitForEvent('download', { timeout: 30_000 }).catch(() => null);
    await page.click('#digits-onnx');
    await page.waitForFunction(() => /Saved|cannot/.test(document.querySelector('#digits-onnx-status')?.textContent ?? ''), null, {
      timeout: 30_000,
    });
    const status = await text(page, '#digits-onnx-status');
    if (status.startsWith('Saved')) {
      const download = await downloaded;
      expect(download?.suggestedFilename() === 'digits-cnn.onnx', `downloaded ${download?.suggestedFilename()}`).toBeTruthy();
      await sameReading(page, readFileSync(await download.path()), [1, 1, 28, 28]);
    } else {
      expect(/CNN cannot be exported to ONNX yet: .*Conv2d/.test(status), `export message: ${status}`).toBeTruthy();
      expect((await page.locator('#digits-onnx-status .error').count()) === 1, 'the message is not shown as an error').toBeTruthy();
      expect(await page.isEnabled('#digits-onnx'), 'the button stays disabled').toBeTruthy();
    }
  });

  test('accessibility: axe-core finds no serious or critical violations on the whole page', async () => {
    const v = await axe(page);
    expect(v.length === 0, `violations: ${v.join(' | ')}`).toBeTruthy();
  });

  test('no label, button or heading wider than its box at 1280 px', async () => {
    const clipped = await clippedText(page);
    expect(clipped.length === 0, `clipped: ${clipped.join(' | ')}`).toBeTruthy();
  });

  test('screenshots of every lesson at 1280 px', async () => {
    for (const [id, file] of LESSONS) await shot(page, `#${id}`, `1280-${file}`);
    await page.screenshot({ path: join(shots, '1280-0-page.png'), fullPage: true });
  });

  test('no uncaught page errors', async () => {
    const all = [...errors, ...consoleErrors];
    expect(all.length === 0, `page errors: ${all.join(' | ')}`).toBeTruthy();
  });

  test('served without the isolation headers: one thread, a clear note, and training still works', async ({ browser }) => {
    const plain = await servePlain(join(root, 'dist'));
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const otherErrors = [];
    other.on('pageerror', (e) => otherErrors.push(String(e)));
    try {
      await other.goto(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/#lesson-playground`);
      await other.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
      expect((await other.evaluate(() => crossOriginIsolated)) === false, 'the plain page is cross-origin isolated').toBeTruthy();
      await other.waitForSelector('#threads[data-threads]', { timeout: 30_000 });
      expect((await other.getAttribute('#threads', 'data-threads')) === '1', 'more than one thread without isolation').toBeTruthy();
      const note = await text(other, '#threads');
      expect(
        note.includes('one thread') && note.includes('not cross-origin isolated') && note.includes('require-corp'),
        `the note: ${note}`,
      ).toBeTruthy();
      await other.waitForSelector('#pg-status[data-epoch="0"]', { timeout: 30_000 });
      await other.click('#pg-step');
      await other.waitForSelector('#pg-status[data-epoch="1"]', { timeout: 30_000 });
      expect(otherErrors.length === 0, `page errors: ${otherErrors.join(' | ')}`).toBeTruthy();
    } finally {
      await other.close();
      plain.close();
    }
  });
});

test.describe('phone, 390 px', () => {
  test.describe.configure({ mode: 'serial' });
  let phone: Page;
  let phoneErrors: string[];
  test.beforeAll(async ({ browser }) => {
    ({ page: phone, errors: phoneErrors } = await open(browser, { width: 390, height: 844, hasTouch: true }));
  });
  test.afterAll(() => phone?.close());

  test('phone: nothing wider than the screen, no clipped label; charts drawn at their shown size', async () => {
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= 390, `the page is ${wide} px wide`).toBeTruthy();
    const clipped = await clippedText(phone);
    expect(clipped.length === 0, `clipped: ${clipped.join(' | ')}`).toBeTruthy();
    const squeezed = await squeezedCharts(phone);
    expect(squeezed.length === 0, `charts scaled down: ${JSON.stringify(squeezed)}`).toBeTruthy();
  });

  test('phone: pressing bar x4 changes x4', async () => {
    await phone.click('button[data-preset="flat"]');
    await dragBar(phone, 3, 0.6);
    const p = await probs(phone);
    expect(Math.abs(p[3] - 0.6) < 0.04 && p[1] < 0.15, `after pressing x4: ${p}`).toBeTruthy();
  });

  test('phone: the backprop walk keeps the active node on screen to the end', async () => {
    await walkBackprop(phone);
  });

  test('phone: the CNN trains for an epoch and its 8 filters fit the screen', async () => {
    await phone.selectOption('#digits-model', 'cnn');
    await phone.fill('#digits-epochs', '1');
    await phone.click('#digits-train');
    await phone.waitForSelector('#digits-filters', { timeout: 120_000 });
    const boxes = await phone.locator('#digits-filters canvas').evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().right));
    expect(boxes.length === 8 && Math.max(...boxes) <= 390, `filter images reach ${Math.max(...boxes)} px of 390`).toBeTruthy();
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= 390, `the page is ${wide} px wide with the filters shown`).toBeTruthy();
  });

  test('phone: axe-core finds no serious or critical violations', async () => {
    const v = await axe(phone);
    expect(v.length === 0, `violations: ${v.join(' | ')}`).toBeTruthy();
  });

  test('phone: screenshots of every lesson at 390 px; no page errors', async () => {
    for (const [id, file] of LESSONS) await shot(phone, `#${id}`, `390-${file}`);
    expect(phoneErrors.length === 0, `page errors: ${phoneErrors.join(' | ')}`).toBeTruthy();
  });
});

test.describe('中文, 390 px', () => {
  test.describe.configure({ mode: 'serial' });
  let zhPhone: Page;
  let zhErrors: string[];
  test.beforeAll(async ({ browser }) => {
    ({ page: zhPhone, errors: zhErrors } = await open(browser, { width: 390, height: 844, hasTouch: true, query: '?lang=zh-CN' }));
  });
  test.afterAll(() => zhPhone?.close());

  test('zh: the language follows navigator.language, ?lang= selects one, and a choice is remembered', async ({ browser }) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const p = await ctx.newPage();
    try {
      await p.goto(base);
      await p.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
      const zhState = await p.evaluate(() => [
        document.documentElement.lang,
        document.title,
        document.querySelector('#lesson-line-fit h2').textContent,
      ]);
      expect(zhState[0] === 'zh-CN' && hasHan(zhState[1]) && zhState[2].includes('梯度下降'), `a zh-CN browser: ${zhState}`).toBeTruthy();
      expect((await p.getAttribute('#lang-zh', 'aria-pressed')) === 'true', 'the switch does not show 中文 as chosen').toBeTruthy();
      await p.click('#lang-en');
      expect((await p.evaluate(() => document.documentElement.lang)) === 'en', '<html lang> does not follow').toBeTruthy();
      expect((await text(p, '#lesson-line-fit h2')) === '3. Gradient descent on a line fit', 'the lesson is not in English').toBeTruthy();
      await p.reload();
      await p.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
      expect((await p.evaluate(() => document.documentElement.lang)) === 'en', 'the choice of English is not remembered').toBeTruthy();
      await p.goto(`${base}?lang=zh-CN`);
      await p.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
      expect((await p.evaluate(() => document.documentElement.lang)) === 'zh-CN', '?lang=zh-CN does not select Chinese').toBeTruthy();
      await p.goto(`${base}?lang=en`);
      await p.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
      expect((await text(p, '#lesson-backprop h2')) === '5. Backpropagation', '?lang=en does not select English').toBeTruthy();
    } finally {
      await ctx.close();
    }
  });

  test('zh phone: bad input is explained in Chinese beside the field', async () => {
    for (const [field, bad] of [
      ['#fit-lr', 'abc'],
      ['#fit-lr', '0'],
      ['#opt-steps', '2.5'],
      ['#digits-epochs', '1000'],
      ['#pg-lr', ''],
    ]) {
      const good = await zhPhone.inputValue(field);
      await zhPhone.fill(field, bad);
      const msg = await text(zhPhone, `${field}-error`);
      expect(hasHan(msg), `${field} = "${bad}": ${msg}`).toBeTruthy();
      await zhPhone.fill(field, good);
    }
    await zhPhone.fill('#info-probs', '0.5');
    expect(hasHan(await text(zhPhone, '#info-probs-error')), 'the distribution message is not in Chinese').toBeTruthy();
    await zhPhone.fill('#info-probs', '0.05, 0.05, 0.8, 0.05, 0.05');
  });

  test('zh phone: switching languages keeps each lesson’s state: typed values, results, the walk, training', async () => {
    await zhPhone.fill('#fit-lr', '0.05');
    await zhPhone.click('#fit-run');
    await zhPhone.waitForFunction(
      () =>
        document.querySelector<HTMLElement>('#fit-reason')?.dataset.reason === 'grad-tolerance' ||
        document.querySelector<HTMLElement>('#fit-reason')?.dataset.reason === 'loss-tolerance',
    );
    const iterations = await text(zhPhone, '#fit-iterations');
    const reason = await zhPhone.getAttribute('#fit-reason', 'data-reason');
    expect(hasHan(await text(zhPhone, '#fit-reason')), 'the stop reason is not in Chinese').toBeTruthy();
    await zhPhone.fill('#fit-b', 'abc');
    for (let i = 0; i < 3; i++) await zhPhone.click('#bp-next');
    await zhPhone.click('#pg-step');
    await zhPhone.waitForSelector('#pg-status[data-epoch="1"]', { timeout: 30_000 });
    const loss = await text(zhPhone, '#pg-train-loss');
    // before training, the worker's refusal is said in the page's language, and follows a switch
    await zhPhone.click('#digits-sample');
    await zhPhone.waitForFunction(() => /\d/.test(document.querySelector('#digits-sample-label')?.textContent ?? ''));
    await zhPhone.click('#digits-predict');
    await zhPhone.waitForFunction(() => document.querySelector('#digits-result .error')?.textContent === '请先训练数字模型。');
    await zhPhone.click('#lang-en');
    expect(
      (await text(zhPhone, '#digits-result .error')) === 'Train the digit model first.',
      'the refusal did not follow the switch',
    ).toBeTruthy();
    expect((await text(zhPhone, '#digits-sample-label')).includes('labelled'), 'the sample label did not follow the switch').toBeTruthy();
    await zhPhone.click('#lang-zh');
    await zhPhone.click('#digits-clear');
    await zhPhone.fill('#digits-epochs', '1');
    await zhPhone.click('#digits-train');
    await zhPhone.waitForSelector('#digits-accuracy', { timeout: 180_000 });
    const acc = await text(zhPhone, '#digits-accuracy');
    expect(hasHan(await text(zhPhone, '#digits-status')), 'the training status is not in Chinese').toBeTruthy();
    for (const [button, l] of [
      ['#lang-en', 'en'],
      ['#lang-zh', 'zh-CN'],
      ['#lang-en', 'en'],
    ]) {
      await zhPhone.click(button);
      await zhPhone.waitForTimeout(100);
      const en = l === 'en';
      expect((await zhPhone.evaluate(() => document.documentElement.lang)) === l, `<html lang> is not ${l}`).toBeTruthy();
      expect(
        (await zhPhone.inputValue('#fit-lr')) === '0.05' && (await zhPhone.inputValue('#fit-b')) === 'abc',
        'a typed value was lost',
      ).toBeTruthy();
      expect((await text(zhPhone, '#fit-iterations')) === iterations, 'the line fit result changed').toBeTruthy();
      const reasonText = await text(zhPhone, '#fit-reason');
      const said = reason === 'loss-tolerance' ? '|Δloss| <' : '‖∇‖₂ <';
      expect(
        en ? reasonText.includes(said) && !hasHan(reasonText) : hasHan(reasonText),
        `the stop reason reads ${reasonText}`,
      ).toBeTruthy();
      const bMsg = await text(zhPhone, '#fit-b-error');
      expect(en ? bMsg.includes('is not a number') : hasHan(bMsg), `the message beside b: ${bMsg}`).toBeTruthy();
      const counter = await text(zhPhone, '#bp-counter');
      expect(en ? counter.startsWith('step 3 of') : counter.startsWith('第 3 步'), `the backprop walk reads ${counter}`).toBeTruthy();
      expect((await zhPhone.locator('.graph-node.active').count()) === 1, 'the active node was lost').toBeTruthy();
      expect(
        (await text(zhPhone, '#pg-epoch')) === '1' && (await text(zhPhone, '#pg-train-loss')) === loss,
        'the playground state changed',
      ).toBeTruthy();
      const status = await text(zhPhone, '#pg-status');
      expect(en ? status.includes('training loss') : status.includes('训练损失'), `the playground status: ${status}`).toBeTruthy();
      expect((await text(zhPhone, '#digits-accuracy')) === acc, 'the trained digit model’s accuracy changed').toBeTruthy();
      const ds = await text(zhPhone, '#digits-status');
      expect(en ? ds.includes('MLP trained') : ds.includes('训练完成'), `the digits status: ${ds}`).toBeTruthy();
    }
    await zhPhone.click('#lang-zh');
    await zhPhone.fill('#fit-b', '3');
    await zhPhone.fill('#fit-lr', '0.1');
  });

  test('zh phone: no untranslated English in any lesson; the backprop walk fits its boxes', async () => {
    await zhPhone.click('#lesson-backprop .controls button.secondary');
    await walkBackprop(zhPhone, BACKPROP_ZH);
    for (const [id] of LESSONS) {
      const words = await untranslated(zhPhone, id);
      expect(words.length === 0, `${id}: English words on the Chinese page: ${words.join(', ')}`).toBeTruthy();
    }
  });

  test('zh phone: nothing wider than the screen, no clipped label; charts drawn at their shown size; axe-core finds no serious violations', async () => {
    const wide = await zhPhone.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= 390, `the page is ${wide} px wide`).toBeTruthy();
    const clipped = await clippedText(zhPhone);
    expect(clipped.length === 0, `clipped: ${clipped.join(' | ')}`).toBeTruthy();
    const squeezed = await squeezedCharts(zhPhone);
    expect(squeezed.length === 0, `charts scaled down: ${JSON.stringify(squeezed)}`).toBeTruthy();
    const v = await axe(zhPhone);
    expect(v.length === 0, `violations: ${v.join(' | ')}`).toBeTruthy();
  });

  test('zh phone: screenshots of every lesson at 390 px; no page errors', async () => {
    for (const [id, file] of LESSONS) await shot(zhPhone, `#${id}`, `zh-390-${file}`);
    expect(zhErrors.length === 0, `page errors: ${zhErrors.join(' | ')}`).toBeTruthy();
  });
});

test.describe('中文, 1280 px', () => {
  test('zh 1280 px: no untranslated English, nothing clipped, axe-core finds no serious violations, screenshots', async ({ browser }) => {
    const { page: zhWide, errors: zhErrors } = await open(browser, { query: '?lang=zh-CN' });
    await zhWide.click('#pg-step');
    await zhWide.waitForSelector('#pg-status[data-epoch="1"]', { timeout: 30_000 });
    for (const [id] of LESSONS) {
      const words = await untranslated(zhWide, id);
      expect(words.length === 0, `${id}: English words on the Chinese page: ${words.join(', ')}`).toBeTruthy();
    }
    const wide = await zhWide.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= 1280, `the page is ${wide} px wide`).toBeTruthy();
    const clipped = await clippedText(zhWide);
    expect(clipped.length === 0, `clipped: ${clipped.join(' | ')}`).toBeTruthy();
    const v = await axe(zhWide);
    expect(v.length === 0, `violations: ${v.join(' | ')}`).toBeTruthy();
    for (const [id, file] of LESSONS) await shot(zhWide, `#${id}`, `zh-1280-${file}`);
    expect(zhErrors.length === 0, `page errors: ${zhErrors.join(' | ')}`).toBeTruthy();
    await zhWide.close();
  });
});
