// The lessons' wording, charts and numbers (lessons 1–4 and 7, number fields, focus, console
// warnings) and lesson 4's curvature: Newton's method and L-BFGS beside gradient descent, the
// Hessian's eigen-directions and the learning-rate bound 2/λ_max, checked against numbers
// computed here. Three pages (1280 px, 390 px, Chinese at 390 px), shared by the tests in order.
import type { Page } from '@playwright/test';
import { expect, type Opened, open, shot, test, text } from './fixtures';

/** The WCAG contrast ratio of two 'rgb(r, g, b)' colours. */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c
      .match(/\d+(\.\d+)?/g)
      .slice(0, 3)
      .map((v) => {
        const s = Number(v) / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [l1, l2] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

test.describe.configure({ mode: 'serial' });
let page: Page;
let phone: Page;
let zh: Page;
/** What each page reported: console warnings and errors, uncaught errors. */
const reports = new Map<Page, Opened>();
test.beforeAll(async ({ browser }) => {
  for (const o of [
    await open(browser, { query: '?lang=en' }),
    await open(browser, { width: 390, query: '?lang=en' }),
    await open(browser, { width: 390, query: '?lang=zh-CN' }),
  ])
    reports.set(o.page, o);
  [page, phone, zh] = [...reports.keys()];
});
test.afterAll(async () => {
  for (const p of reports.keys()) await p.close();
});

test('numbers: decimal only — 0x1A, Infinity and 1e-400 are refused; each message says what the field accepts', async () => {
  for (const [field, bad] of [
    ['#opt-steps', '0x1A'],
    ['#opt-lr', '1e-400'],
    ['#fit-lr', 'Infinity'],
    ['#digits-epochs', '0b11'],
    ['#pg-lr', '0x10'],
  ]) {
    const good = await page.inputValue(field);
    await page.fill(field, bad);
    const msg = await text(page, `${field}-error`);
    expect(msg.length > 0 && (await page.getAttribute(field, 'aria-invalid')) === 'true', `${field} = "${bad}" is accepted`).toBeTruthy();
    await page.fill(field, good);
  }
  await page.fill('#info-probs', '0x1A, 1');
  expect((await text(page, '#info-probs-error')).includes('0x1A'), 'a hexadecimal probability is accepted').toBeTruthy();
  await page.fill('#info-probs', '1e-400, 1');
  expect((await text(page, '#info-probs-error')).includes('1e-400'), 'a probability that rounds to 0 is accepted').toBeTruthy();
  await page.fill('#info-probs', '0.05, 0.05, 0.8, 0.05, 0.05');
  // whole-number fields ask for whole numbers, with their range
  for (const [field, range] of [
    ['#opt-steps', 'a whole number from 1 to 2000'],
    ['#digits-epochs', 'a whole number from 1 to'],
  ]) {
    const good = await page.inputValue(field);
    await page.fill(field, 'ten');
    const msg = await text(page, `${field}-error`);
    expect(msg.includes(range) && !/0\.5|1e-3/.test(msg), `${field}: ${msg}`).toBeTruthy();
    await page.fill(field, good);
  }
  await page.fill('#opt-lr', 'abc');
  const lrMsg = await text(page, '#opt-lr-error');
  expect(lrMsg.includes('a number above 0, up to 100'), `the step's message: ${lrMsg}`).toBeTruthy();
  await page.fill('#opt-lr', '');
  expect((await text(page, '#opt-lr-error')).includes('above 0, up to 100'), 'an empty field does not say what it accepts').toBeTruthy();
  await page.fill('#opt-lr', '0.038');
  await zh.fill('#opt-steps', '0x1A');
  const zhMsg = await text(zh, '#opt-steps-error');
  expect(zhMsg.includes('1 到 2000 之间的整数'), `zh: ${zhMsg}`).toBeTruthy();
  await zh.fill('#opt-steps', '60');
});

test('a pasted page of text in a field: the message quotes 24 characters and wraps in its box, the page stays as wide as the screen (both languages)', async () => {
  const long = 'x'.repeat(3000);
  for (const pg of [phone, zh]) {
    for (const field of ['#fit-lr', '#info-probs', '#pg-lr']) {
      const good = await pg.inputValue(field);
      await pg.fill(field, long);
      const msg = await text(pg, `${field}-error`);
      const box = await pg.locator(`${field}-error`).boundingBox();
      const width = await pg.evaluate(() => document.documentElement.scrollWidth);
      expect(
        msg.includes(`${'x'.repeat(24)}…`) && !msg.includes('x'.repeat(25)),
        `${field}: the message quotes the whole value: ${msg.length} characters`,
      ).toBeTruthy();
      expect(box !== null && box.height < 200, `${field}: the message is ${box?.height} px tall`).toBeTruthy();
      expect(width <= 390, `${field}: the page is ${width} px wide at 390`).toBeTruthy();
      await pg.fill(field, good);
    }
  }
});

/** The boxes of the chart's bar labels and tick labels that overlap a neighbour. */
const overlaps = (pg) =>
  pg.evaluate(() => {
    const hit = [];
    for (const sel of ['g[aria-label="text"] text', 'g[aria-label="x-axis tick label"] text']) {
      const boxes = [...document.querySelectorAll(`#info-chart ${sel}`)].map((t) => t.getBoundingClientRect());
      for (let i = 1; i < boxes.length; i++) if (boxes[i].left < boxes[i - 1].right) hit.push(`${sel} ${i}`);
    }
    return hit;
  });
test('1 information: the bars are labelled with P(x), the information content is said beside them, 26 outcomes stay legible', async () => {
  for (const pg of [page, phone]) {
    await pg.click('button[data-preset="peaked"]');
    const labels = await pg.locator('#info-chart g[aria-label="text"] text').allTextContents();
    expect(labels.join() === '0.05,0.05,0.80,0.05,0.05', `bar labels ${labels}`).toBeTruthy();
    const info = await text(pg, '#info-content');
    const want = [0.05, 0.05, 0.8, 0.05, 0.05].map((p, i) => `x${i + 1} ${(-Math.log2(p)).toFixed(2)}`).join(' · ');
    expect(info.endsWith(want) && info.includes('bits'), `information content: ${info} (want ${want})`).toBeTruthy();
    await pg.fill('#info-probs', Array.from({ length: 26 }, (_, i) => i + 1).join(', '));
    const hit = await overlaps(pg);
    expect(hit.length === 0, `overlapping labels with 26 outcomes: ${hit.slice(0, 4).join(', ')}`).toBeTruthy();
    const wide = await pg.evaluate(() => document.documentElement.scrollWidth);
    expect(wide <= pg.viewportSize().width, `the page is ${wide} px wide`).toBeTruthy();
  }
  const w = Number(await page.getAttribute('#info-chart', 'width'));
  expect(w >= 26 * 30, `26 bars drawn in ${w} px at 1280`).toBeTruthy();
  await shot(page, '#lesson-information', 'lessons-1280-1-26-outcomes.png');
  await shot(phone, '#lesson-information', 'lessons-390-1-26-outcomes.png');
  for (const pg of [page, phone]) await pg.click('button[data-preset="peaked"]');
  await shot(phone, '#lesson-information', 'lessons-390-1-peaked.png');
});

test('2 cross-entropy: a zero in Ŷ where Y is not says why the cross-entropy is infinite (log 0)', async () => {
  for (const [pg, words] of [
    [page, ['log 0', 'x3']],
    [zh, ['log 0', '无穷大']],
  ] as [Page, string[]][]) {
    await pg.fill('#ce-pred', '0.5, 0.5, 0');
    expect((await text(pg, '#ce-ce')).startsWith('Infinity'), `H(Y, Ŷ) reads ${await text(pg, '#ce-ce')}`).toBeTruthy();
    const why = await text(pg, '#ce-infinite');
    expect(
      words.every((w) => why.includes(w)),
      `the explanation: ${why}`,
    ).toBeTruthy();
    if (pg === page) await shot(pg, '#lesson-cross-entropy', 'lessons-1280-2-infinite.png');
    await pg.fill('#ce-pred', '0.4, 0.4, 0.2');
    expect((await pg.locator('#ce-infinite').count()) === 0, 'the explanation stays once Ŷ has no zero').toBeTruthy();
  }
});

test('3 line fit: the readout says the criterion that stopped the run, with its threshold; the float32/float64 table fits a phone', async () => {
  for (const [criterion, threshold, want] of [
    ['loss-tolerance', '1e-8', '|Δloss| < 1e-8'],
    ['grad-tolerance', '1e-3', '‖∇‖₂ < 0.001'],
    ['max-iterations', '25', 'maximum of 25 iterations'],
  ]) {
    await page.selectOption('#fit-criterion', criterion);
    await page.fill('#fit-threshold', threshold);
    await page.click('#fit-run');
    await page.waitForSelector(`#fit-reason[data-reason="${criterion}"]`);
    const said = await text(page, '#fit-reason');
    expect(said.includes(want) && !said.includes(criterion), `criterion ${criterion}: the readout says ${said}`).toBeTruthy();
  }
  await page.selectOption('#fit-criterion', 'loss-tolerance');
  await page.fill('#fit-threshold', '1e-8');
  await page.click('#fit-run');
  await zh.click('#fit-run');
  await zh.waitForSelector('#fit-reason[data-reason="loss-tolerance"]');
  expect((await text(zh, '#fit-reason')).includes('|Δ损失| < 1e-8'), `zh: ${await text(zh, '#fit-reason')}`).toBeTruthy();
  for (const pg of [phone, zh]) {
    const fit = await pg.evaluate(() => {
      const box = document.querySelector('#fit-precision .table-scroll');
      const table = box.querySelector('table').getBoundingClientRect();
      return { scroll: box.scrollWidth, client: box.clientWidth, right: table.right, page: document.documentElement.clientWidth };
    });
    expect(fit.scroll <= fit.client && fit.right <= fit.page, `the table is cut off: ${JSON.stringify(fit)}`).toBeTruthy();
  }
  await shot(phone, '#fit-precision', 'lessons-390-3-precision.png');
  await shot(page, '#fit-output .readout', 'lessons-1280-3-readout.png');
});

test('4 optimizers: on Rosenbrock the path that reaches the minimum is drawn on top; the contours are bands without outlines', async () => {
  await page.selectOption('#opt-surface', 'rosenbrock');
  const order = await page.evaluate(() =>
    [...document.querySelectorAll('#opt-output svg g[class^="path-"]')].map((g) => g.getAttribute('class').replace('path-', '')),
  );
  const paths = JSON.parse(await page.getAttribute('#opt-output', 'data-paths'));
  const d = (m) => Math.hypot(paths[m].at(-1)[0] - 1, paths[m].at(-1)[1] - 1);
  const nearest = ['GD', 'SGD', 'momentum', 'Adam'].sort((a, b) => d(a) - d(b))[0];
  expect(nearest === 'momentum' && d('momentum') < 0.1, `nearest the minimum: ${nearest} at ${d(nearest)}`).toBeTruthy();
  expect(
    ['GD', 'SGD', 'Adam'].every((m) => order.indexOf(m) < order.indexOf('momentum')),
    `drawing order ${order}`,
  ).toBeTruthy();
  const strokes = await page.evaluate(() =>
    [...document.querySelectorAll('#opt-output svg g[aria-label="contour"], #opt-output svg g[aria-label="contour"] path')].map((e) =>
      e.getAttribute('stroke'),
    ),
  );
  expect(strokes.length > 0 && strokes.every((s) => s === null || s === 'none'), `contour outlines: ${[...new Set(strokes)]}`).toBeTruthy();
  await shot(page, '#opt-output', 'lessons-1280-4-rosenbrock.png');
  await page.selectOption('#opt-surface', 'quadratic');
});

test('7 digits: the text gives each model its own accuracy; both curves plot held-out accuracy, ending at the accuracy reported', async () => {
  const intro = await text(page, '#lesson-digits');
  expect(
    /94 % held-out accuracy with the MLP and about 97 % with the CNN/.test(intro),
    'the text gives one accuracy for both models',
  ).toBeTruthy();
  for (const model of ['mlp', 'cnn']) {
    await page.selectOption('#digits-model', model);
    await page.fill('#digits-epochs', '1');
    await page.click('#digits-train');
    await page.waitForSelector('#digits-accuracy', { timeout: 180_000 });
    const curve = JSON.parse(await page.getAttribute('#digits-curve', 'data-curve'));
    const label = await page.locator('#digits-curve svg g[aria-label="y-axis label"]').textContent();
    expect(label.includes('held-out accuracy'), `${model}: the curve's axis reads ${label}`).toBeTruthy();
    const acc = await text(page, '#digits-accuracy');
    expect(
      curve.length === 1 && `${(curve[0][1] * 100).toFixed(2)}%` === acc,
      `${model}: the curve ${JSON.stringify(curve)}, reported ${acc}`,
    ).toBeTruthy();
    await shot(page, '#lesson-digits', `lessons-1280-7-${model}.png`);
  }
});

test('3 line fit: a note says where the formula differs from the original tutorial (its erratum); 1: base 10 is named hartleys throughout', async () => {
  const note = await text(page, '#fit-erratum');
  expect(note.includes('θ ← θ − η(ŷ − y)') && note.includes('(2/n)Σ(ŷ − y)·x'), `the erratum note: ${note}`).toBeTruthy();
  expect((await text(zh, '#fit-erratum')).includes('勘误'), 'no erratum note in Chinese').toBeTruthy();
  const options = await page.locator('#info-unit option').allTextContents();
  expect(options.includes('hartleys (base 10)') && !options.some((o) => o.includes('dits')), `units: ${options}`).toBeTruthy();
  await page.selectOption('#info-unit', 'hartleys');
  await page.click('button[data-preset="fair coin"]');
  const h = await text(page, '#entropy-value');
  expect(h === `${Math.log10(2).toFixed(4)} hartleys`, `a fair coin in hartleys: ${h}`).toBeTruthy();
  expect(!(await text(page, '#lesson-information')).includes('dits'), 'lesson 1 still says dits').toBeTruthy();
  await page.selectOption('#info-unit', 'bits');
});

/** A plain-JS Hessian, its eigen-decomposition and Newton step on the lesson's surfaces, to check the page against. */
const H = {
  quadratic: () => [
    [1, 0],
    [0, 50],
  ],
  rosenbrock: ([x, y]) => [
    [2 - 400 * (y - x * x) + 800 * x * x, -400 * x],
    [-400 * x, 200],
  ],
};
const grad = { quadratic: ([x, y]) => [x, 50 * y], rosenbrock: ([x, y]) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)] };
const eig2 = ([[a, b], [, d]]: number[][]) => {
  const m = (a + d) / 2;
  const r = Math.hypot((a - d) / 2, b);
  return [m + r, m - r];
};
test('4 curvature: Newton and L-BFGS run beside GD — Newton lands on a quadratic’s minimum in one step, its first Rosenbrock step matches θ − H⁻¹∇', async () => {
  await page.selectOption('#opt-surface', 'quadratic');
  let paths = JSON.parse(await page.getAttribute('#opt-output', 'data-paths'));
  expect(Math.hypot(...paths.Newton[1]) < 1e-5, `Newton's first step on the quadratic: ${paths.Newton[1]}`).toBeTruthy();
  expect(Math.hypot(...paths['L-BFGS'].at(-1)) < 1e-3, `L-BFGS ends at ${paths['L-BFGS'].at(-1)}`).toBeTruthy();
  expect((await page.locator('#opt-output figcaption', { hasText: 'Newton' }).count()) === 1, 'no Newton in the legend').toBeTruthy();
  await page.selectOption('#opt-surface', 'linefit');
  paths = JSON.parse(await page.getAttribute('#opt-output', 'data-paths'));
  // the least-squares line from the normal equations of the page's own data, in plain JS
  const { lineData } = await import('@gd/lessons');
  const L = lineData(7);
  const n = L.x.length;
  const [sx, sy, sxx, sxy] = [
    L.x.reduce((s, v) => s + v, 0),
    L.y.reduce((s, v) => s + v, 0),
    L.x.reduce((s, v) => s + v * v, 0),
    L.x.reduce((s, v, i) => s + v * L.y[i], 0),
  ];
  const a = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const b = (sy - a * sx) / n;
  expect(
    Math.hypot(paths.Newton[1][0] - a, paths.Newton[1][1] - b) < 1e-3,
    `Newton's first step on the line fit ${paths.Newton[1]}, least squares (${a}, ${b})`,
  ).toBeTruthy();
  await page.selectOption('#opt-surface', 'rosenbrock');
  paths = JSON.parse(await page.getAttribute('#opt-output', 'data-paths'));
  const s0: [number, number] = [-1.5, 2.2];
  const [[h11, h12], [, h22]] = H.rosenbrock(s0);
  const g = grad.rosenbrock(s0);
  const det = h11 * h22 - h12 * h12;
  const want = [s0[0] - (h22 * g[0] - h12 * g[1]) / det, s0[1] - (-h12 * g[0] + h11 * g[1]) / det];
  expect(
    Math.hypot(paths.Newton[1][0] - want[0], paths.Newton[1][1] - want[1]) < 1e-3,
    `Newton's first step ${paths.Newton[1]}, by hand ${want}`,
  ).toBeTruthy();
  for (const m of ['Newton', 'L-BFGS']) {
    const end = paths[m].at(-1);
    expect(Math.hypot(end[0] - 1, end[1] - 1) < 1e-2, `${m} ends at ${end} on Rosenbrock`).toBeTruthy();
    expect(paths[m].length < paths.GD.length, `${m} takes ${paths[m].length - 1} steps, GD ${paths.GD.length - 1}`).toBeTruthy();
  }
  await shot(page, '#lesson-optimizers', 'lessons-1280-4-curvature-rosenbrock.png');
});

test('4 curvature: H’s eigen-directions at a point of GD’s path match a hand-computed Hessian; the bound 2/λmax sits by η, with a note above it', async () => {
  for (const [surface, points] of [
    ['quadratic', [0, 10]],
    ['rosenbrock', [0, 200]],
  ] as ['quadratic' | 'rosenbrock', number[]][]) {
    await page.selectOption('#opt-surface', surface);
    const paths = JSON.parse(await page.getAttribute('#opt-output', 'data-paths'));
    for (const k of points) {
      await page.fill('#opt-at', String(k));
      await page.dispatchEvent('#opt-at', 'input');
      const e = JSON.parse(await page.getAttribute('#opt-output', 'data-eigen'));
      const at = paths.GD[k];
      expect(Math.hypot(e.at[0] - at[0], e.at[1] - at[1]) < 1e-9, `${surface} step ${k}: H taken at ${e.at}, GD is at ${at}`).toBeTruthy();
      const h = H[surface](at);
      const want = eig2(h);
      for (let i = 0; i < 2; i++) {
        const rel = Math.abs(e.values[i] - want[i]) / Math.max(1, Math.abs(want[i]));
        expect(rel < 1e-3, `${surface} step ${k}: λ${i + 1} = ${e.values[i]}, by hand ${want[i]}`).toBeTruthy();
        // H v = λ v for the page's unit eigenvector
        const v = e.vectors[i];
        const hv = [h[0][0] * v[0] + h[0][1] * v[1], h[1][0] * v[0] + h[1][1] * v[1]];
        const err = Math.hypot(hv[0] - want[i] * v[0], hv[1] - want[i] * v[1]) / Math.max(1, Math.abs(want[0]));
        expect(
          Math.abs(Math.hypot(...v) - 1) < 1e-6 && err < 1e-3,
          `${surface} step ${k}: v${i + 1} = ${v}, |Hv − λv|/λmax = ${err}`,
        ).toBeTruthy();
      }
      expect(
        (await page.locator('#opt-output svg g.eigen path, #opt-output svg g.eigen line').count()) >= 2,
        'the two eigen-directions are not drawn',
      ).toBeTruthy();
      const bound = await text(page, '#opt-bound');
      expect(
        bound.includes(`2/λₘₐₓ = ${(2 / want[0]).toFixed(4)}`) || bound.includes(`2/λₘₐₓ = ${(2 / want[0]).toExponential(3)}`),
        `${surface} step ${k}: ${bound}, by hand 2/λmax = ${2 / want[0]}`,
      ).toBeTruthy();
    }
    await page.fill('#opt-at', '0');
    await page.dispatchEvent('#opt-at', 'input');
  }
  await page.selectOption('#opt-surface', 'quadratic');
  expect((await page.locator('#opt-bound-note').count()) === 0, 'η = 0.038 < 0.04 is said to be above the bound').toBeTruthy();
  await page.fill('#opt-lr', '0.05');
  const note = await text(page, '#opt-bound-note');
  expect(note.includes('above 2/λₘₐₓ') && note.includes('1.50'), `the note for η = 0.05: ${note}`).toBeTruthy();
  // the field and its bound sit side by side in one box
  const boxes = await page.evaluate(() =>
    [document.querySelector('#opt-lr'), document.querySelector('#opt-bound')].map((e) => e.getBoundingClientRect().toJSON()),
  );
  expect(
    Math.abs(boxes[0].left - boxes[1].left) < 40 && boxes[1].top - boxes[0].bottom < 60,
    `the bound is not beside η: ${JSON.stringify(boxes)}`,
  ).toBeTruthy();
  await shot(page, '#lesson-optimizers', 'lessons-1280-4-curvature-quadratic.png');
  await page.fill('#opt-lr', '0.038');
  await phone.selectOption('#opt-surface', 'rosenbrock');
  await shot(phone, '#lesson-optimizers', 'lessons-390-4-curvature.png');
  await zh.fill('#opt-lr', '0.05');
  expect((await text(zh, '#opt-bound-note')).includes('大于 2/λₘₐₓ'), 'the note is not in Chinese').toBeTruthy();
  await shot(zh, '#lesson-optimizers', 'lessons-zh-390-4-curvature.png');
  await zh.fill('#opt-lr', '0.038');
});

test('focus: the focus ring has at least 3:1 contrast against the white page (WCAG non-text contrast)', async () => {
  await page.focus('#opt-run');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const e = document.activeElement;
    const cs = getComputedStyle(e);
    let bg = 'rgb(255, 255, 255)';
    for (let p = e.parentElement; p; p = p.parentElement) {
      const c = getComputedStyle(p).backgroundColor;
      if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') {
        bg = c;
        break;
      }
    }
    return { id: e.id, style: cs.outlineStyle, width: Number.parseFloat(cs.outlineWidth), color: cs.outlineColor, bg };
  });
  expect(ring.id === 'opt-run' && ring.style !== 'none' && ring.width >= 2, `no focus ring: ${JSON.stringify(ring)}`).toBeTruthy();
  const ratio = contrast(ring.color, ring.bg);
  expect(ratio >= 3, `the focus ring ${ring.color} on ${ring.bg}: ${ratio.toFixed(2)}:1`).toBeTruthy();
});

test('no console warnings or errors on any page during these tests (Plot, Canvas2D, the worker)', async () => {
  await page.click('#pg-step');
  await page.waitForSelector('#pg-status[data-epoch="1"]', { timeout: 30_000 });
  await page.click('#pg-step');
  await page.waitForSelector('#pg-status[data-epoch="2"]', { timeout: 30_000 });
  // every chart of every lesson drawn at least once more: surfaces, datasets, the playground's curves
  for (const sf of ['linefit', 'rosenbrock', 'quadratic']) await page.selectOption('#opt-surface', sf);
  for (const ds of ['reg-plane', 'spiral', 'circle']) {
    await page.selectOption('#pg-dataset', ds);
    await page.waitForSelector('#pg-status[data-epoch="0"]', { timeout: 30_000 });
    await page.click('#pg-step');
    await page.waitForSelector('#pg-status[data-epoch="1"]', { timeout: 30_000 });
  }
  // a diverging run: its losses leave the curve, as few points as Plot sees
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
  for (let i = 0; i < 2; i++) {
    await page.click('#digits-sample');
    await page.waitForFunction(() => /labelled \d/.test(document.querySelector('#digits-sample-label')?.textContent ?? ''));
    await page.click('#digits-predict');
    await page.waitForSelector('#digit-prediction', { timeout: 10_000 });
  }
  const all = [page, phone, zh].flatMap((p) => [...reports.get(p).console, ...reports.get(p).errors.map((e) => `pageerror: ${e}`)]);
  expect(all.length === 0, `console: ${[...new Set(all)].join(' | ')}`).toBeTruthy();
});
