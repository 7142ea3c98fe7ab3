// Lesson 5's step-by-step backward pass, each product checked against the autograd's gradients
// computed here in Node, and the playground's tools (its stop, messages, keyboard, axis,
// activations, hover and share, and training beside the CNN), each on pages of their own.
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { axe, base, clippedText, expect, open, shots, test, text } from './fixtures';

const out = shots;
const KEYS = ['L', 'y', 'z2', 'W2', 'b2', 'h', 'z1', 'W1', 'b1'];
const ETA = 0.5;

/** Lesson 5's network in Node, on the same gd packages: every node's gradient, and the loss after one step. */
async function reference() {
  const { noGrad, variable } = await import('@gd/autograd');
  const { mse } = await import('@gd/losses');
  const { ready, tensor } = await import('@gd/tensor');
  await ready();
  const x = variable(tensor([[0.5, -1]]), { requiresGrad: false });
  const init = {
    W1: [
      [0.4, -0.6],
      [0.3, 0.8],
    ],
    b1: [0.1, -0.2],
    W2: [[0.7, -0.5]],
    b2: [0.05],
  };
  const forward = (w) => {
    const z1 = x.matmul(w.W1, { transposeB: true }).add(w.b1);
    const h = z1.sigmoid();
    const z2 = h.matmul(w.W2, { transposeB: true }).add(w.b2);
    const y = z2.sigmoid();
    return { z1, h, z2, y, L: mse(y, [[1]]) };
  };
  const w = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, variable(tensor(v))]));
  const f = forward(w);
  f.L.backward(undefined, { retainGrads: true });
  const all = { ...f, ...w };
  const grads: Record<string, number[]> = Object.fromEntries(KEYS.map((k) => [k, Array.from(all[k].grad.data())]));
  const after = noGrad(() => {
    const w2 = Object.fromEntries(
      Object.keys(init).map((k) => {
        const v = w[k].value;
        const d = Array.from(v.data(), (a, i) => a - ETA * grads[k][i]);
        return [k, variable(tensor(Float32Array.from(d), { shape: v.shape }), { requiresGrad: false })];
      }),
    );
    return forward(w2).L.item();
  });
  return { grads, before: f.L.item(), after };
}

/** Numbers as the page prints them (4 decimals, or 3 in an exponent): the rounding they carry. */
const ulp = (s) => (/e/.test(s) ? Math.abs(Number(s)) * 5e-4 : 5e-5);

test.describe('5 walk, 1280 px', () => {
  test.describe.configure({ mode: 'serial' });
  let ref: Awaited<ReturnType<typeof reference>>;
  let page: Page;
  let errors: string[];
  test.beforeAll(async ({ browser }) => {
    ref = await reference();
    ({ page, errors } = await open(browser));
  });
  test.afterAll(() => page?.close());

  test('5 walk: each node is revealed only at its step; each product is the autograd’s gradient', async () => {
    await page.locator('#lesson-backprop').scrollIntoViewIfNeeded();
    const revealed = () =>
      page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll<SVGGElement>('#bp-graph .graph-node')].map((g) => [g.dataset.name, g.dataset.revealed === 'true']),
        ),
      );
    const nodeText = (name) =>
      page.evaluate(
        (n) => [...document.querySelectorAll<SVGGElement>('#bp-graph .graph-node')].find((g) => g.dataset.name === n).textContent,
        name,
      );
    const before = await revealed();
    expect(
      Object.values(before).every((r) => !r),
      `revealed before the walk: ${JSON.stringify(before)}`,
    ).toBeTruthy();
    await page.focus('#bp-next');
    for (let i = 0; i < KEYS.length; i++) {
      const key = KEYS[i];
      const shown = await revealed();
      const names = Object.keys(shown);
      // nothing of this node or any later one is shown before its step
      for (const k of KEYS.slice(i)) {
        const name = names.find((n) => n.split(' ')[0] === (k === 'y' ? 'ŷ' : k));
        expect(name && !shown[name], `step ${i}: ${k} is revealed too early`).toBeTruthy();
        const grads = ref.grads[k].map((g) => Math.abs(g).toFixed(4)).filter((g) => g !== '0.0000' && g !== '1.0000');
        const t = await nodeText(name);
        for (const g of grads) expect(!t.includes(g), `step ${i}: ${k}'s gradient ${g} shown early: ${t}`).toBeTruthy();
      }
      await page.keyboard.press('Enter');
      const terms = await page.evaluate(() =>
        [...document.querySelectorAll('#bp-product .bp-term')].map((li) => [...li.querySelectorAll('.num')].map((s) => s.textContent)),
      );
      if (key === 'L') {
        expect(terms.length === 0 && (await text(page, '#bp-step')).includes('∂L/∂L = 1'), 'the first step is not the loss').toBeTruthy();
        continue;
      }
      expect((await page.getAttribute('#bp-product', 'data-node')) === key, `step ${i}: not ${key}`).toBeTruthy();
      expect(
        terms.length === ref.grads[key].length,
        `${key}: ${terms.length} products for ${ref.grads[key].length} gradients`,
      ).toBeTruthy();
      terms.forEach(([a, b, c], k) => {
        const [A, B, C] = [a, b, c].map(Number);
        const g = ref.grads[key][k];
        const tol = Math.abs(A) * ulp(b) + Math.abs(B) * ulp(a) + ulp(c) + 1e-7;
        expect(Math.abs(A * B - C) <= tol, `${key}[${k}]: ${a} × ${b} ≠ ${c}`).toBeTruthy();
        expect(Math.abs(C - g) <= ulp(c) + 1e-7, `${key}[${k}]: shown ${c}, the autograd's ${g}`).toBeTruthy();
      });
      const local = await text(page, '#bp-local');
      expect(/[=].*[=]\s*[[\-\d]/.test(local), `${key}: the local derivative has no value: ${local}`).toBeTruthy();
      const name = Object.keys(await revealed()).find((n) => n.split(' ')[0] === (key === 'y' ? 'ŷ' : key));
      expect((await revealed())[name], `${key} not revealed at its step`).toBeTruthy();
    }
    await page.screenshot({ path: join(out, '1280-5-walk-node.png'), fullPage: false });
  });

  test('5 walk: the end compares with gradcheck’s finite differences, then one gradient-descent step lowers the loss', async () => {
    await page.keyboard.press('Enter');
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLTableRowElement>('#bp-fd tr.bp-fd')].map((r) => [
        r.dataset.node,
        r.querySelector('.bp-analytic').textContent,
        r.querySelector('.bp-numeric').textContent,
      ]),
    );
    expect(rows.length === 9, `${rows.length} rows of the check`).toBeTruthy();
    const seen = {};
    for (const [k, a, n] of rows) {
      const i = (seen[k] = (seen[k] ?? -1) + 1);
      const g = ref.grads[k][i];
      expect(Math.abs(Number(a) - g) <= ulp(a) + 1e-7, `${k}[${i}]: backward ${a}, the autograd's ${g}`).toBeTruthy();
      // float32 backward against a float64 central difference: agree to float32's precision
      expect(Math.abs(Number(n) - g) <= ulp(n) + 1e-5, `${k}[${i}]: finite difference ${n}, the autograd's ${g}`).toBeTruthy();
    }
    await page.locator('#bp-fd').screenshot({ path: join(out, '1280-5-walk-check.png') });
    await page.keyboard.press('Enter');
    const [b, a] = [Number(await text(page, '#bp-loss-before')), Number(await text(page, '#bp-loss-after'))];
    expect(
      Math.abs(b - ref.before) <= 5e-5 && Math.abs(a - ref.after) <= 5e-5,
      `loss ${b} → ${a}, Node: ${ref.before} → ${ref.after}`,
    ).toBeTruthy();
    expect(a < b, `the step did not lower the loss: ${b} → ${a}`).toBeTruthy();
    const updates = await page.locator('.bp-update').count();
    expect(updates === 4, `${updates} weight updates shown`).toBeTruthy();
    expect((await page.getAttribute('#bp-step', 'data-done')) === 'true', 'no end state').toBeTruthy();
    await page.locator('#lesson-backprop').screenshot({ path: join(out, '1280-5-walk-end.png') });
  });

  test('5 walk: “Next step” keeps the focus when the walk ends', async () => {
    const focus = await page.evaluate(() => document.activeElement?.id);
    expect(focus === 'bp-next', `focus on ${focus}`).toBeTruthy();
    expect((await page.getAttribute('#bp-next', 'aria-disabled')) === 'true', 'Next step not marked disabled at the end').toBeTruthy();
    expect(!(await page.isEnabled('#bp-next')), 'Next step still enabled at the end').toBeTruthy();
    await page.keyboard.press('Enter');
    expect((await page.getAttribute('#bp-step', 'data-done')) === 'true', 'pressing at the end changed the step').toBeTruthy();
  });

  test('walk page: axe-core finds no serious violations, nothing clipped, no page errors', async () => {
    const v = await axe(page);
    expect(v.length === 0, `violations: ${v.join(' | ')}`).toBeTruthy();
    const clipped = await clippedText(page);
    expect(clipped.length === 0, `clipped: ${clipped.join(' | ')}`).toBeTruthy();
    expect(errors.length === 0, `page errors: ${errors.join(' | ')}`).toBeTruthy();
  });
});

test.describe('6 playground tools, 1280 px', () => {
  test.describe.configure({ mode: 'serial' });
  let page: Page;
  const errors: string[] = [];
  test.beforeAll(async ({ browser }) => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page.on('pageerror', (e) => errors.push(String(e)));
  });
  test.afterAll(() => page?.close());
  /** Opens the playground with these settings in its address. */
  const load = async (query: string) => {
    await page.goto(`${base}?${query}#lesson-playground`);
    await page.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('#pg-status[data-epoch="0"]', { timeout: 30_000 });
  };
  const epoch = async () => Number(await page.getAttribute('#pg-status', 'data-epoch'));
  test('6 playground: training stops at its stated limit of 5,000 epochs, and Play does not go past it', async () => {
    await load('dataset=gauss&trainRatio=90&batchSize=360&hidden=1&features=x1&activation=linear');
    await page.click('#pg-play');
    await page.waitForSelector('#pg-capped', { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector('#pg-play')?.textContent?.includes('Play'), null, { timeout: 5000 });
    expect((await epoch()) === 5000, `stopped at epoch ${await epoch()}`).toBeTruthy();
    expect((await text(page, '#pg-status')).includes('5,000 epochs'), `status: ${await text(page, '#pg-status')}`).toBeTruthy();
    await page.click('#pg-play');
    await page.click('#pg-step');
    await page.waitForTimeout(500);
    expect((await epoch()) === 5000, `went on to epoch ${await epoch()}`).toBeTruthy();
    expect((await text(page, '#pg-play')).includes('Play'), 'Play is stuck as Pause at the limit').toBeTruthy();
  });

  test('6 playground: “Fix the marked setting” stays until the setting is fixed', async () => {
    await page.fill('#pg-lr', 'abc');
    await page.dispatchEvent('#pg-lr', 'change');
    await page.waitForTimeout(800);
    expect((await text(page, '#pg-status')).includes('Fix the marked setting'), `status: ${await text(page, '#pg-status')}`).toBeTruthy();
    await page.click('#pg-play');
    await page.waitForTimeout(800);
    expect(
      (await text(page, '#pg-status')).includes('Fix the marked setting'),
      `status after Play: ${await text(page, '#pg-status')}`,
    ).toBeTruthy();
    await page.fill('#pg-lr', '0.03');
    await page.dispatchEvent('#pg-lr', 'change');
    await page.waitForSelector('#pg-status #pg-epoch', { timeout: 10_000 });
  });

  test('6 playground: the keyboard focus stays on + / − / layer buttons as they are rebuilt', async () => {
    await load('hidden=4,2');
    const active = () =>
      page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset?.key ?? document.activeElement?.tagName);
    await page.focus('#pg-layers button[data-key="plus:0"]');
    for (let n = 5; n <= 8; n++) {
      await page.keyboard.press('Enter');
      await page.waitForFunction((k) => document.querySelectorAll('#pg-net .pg-neuron').length === k + 2, n);
      const a = await active();
      // at 8 neurons + is disabled: the focus goes to its partner, −
      expect(a === (n < 8 ? 'plus:0' : 'minus:0'), `after + (${n} neurons) the focus is on ${a}`).toBeTruthy();
    }
    await page.keyboard.press('Enter');
    expect((await active()) === 'minus:0', `after − the focus is on ${await active()}`).toBeTruthy();
    await page.focus('#pg-add-layer');
    await page.keyboard.press('Enter');
    expect((await active()) === 'add-layer', `after + layer the focus is on ${await active()}`).toBeTruthy();
    await page.focus('#pg-remove-layer');
    await page.keyboard.press('Enter');
    expect((await active()) === 'remove-layer', `after − layer the focus is on ${await active()}`).toBeTruthy();
  });

  test('6 playground: the linear activation trains a linear model (a circle stays unseparated), from the URL too', async () => {
    await load('dataset=circle&activation=linear&features=x1,x2&hidden=4,2&noise=0');
    expect((await page.inputValue('#pg-activation')) === 'linear', 'activation=linear not taken from the URL').toBeTruthy();
    await page.click('#pg-play');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#pg-status')?.dataset.epoch) >= 150, null, {
      timeout: 60_000,
    });
    await page.click('#pg-play');
    const acc = Number.parseFloat(await text(page, '#pg-accuracy'));
    expect(acc < 75, `a linear network separates the circle: ${acc}%`).toBeTruthy();
    await page.screenshot({ path: join(out, '1280-6-linear.png') });
  });

  test('6 playground: the loss chart’s y-axis labels are not clipped', async () => {
    await load('dataset=reg-plane&noise=0&activation=linear&features=x1,x2&hidden=2&lr=0.03');
    await page.click('#pg-play');
    await page.waitForFunction(() => Number(document.querySelector('#pg-train-loss')?.textContent) < 1e-3, null, { timeout: 60_000 });
    await page.click('#pg-play');
    await page.waitForTimeout(300);
    const labels = await page.evaluate(() => {
      // the loss chart: the last chart in the row with a y axis
      const svg = [...document.querySelectorAll('#pg-plots svg')]
        .filter((v) => v.querySelector('g[aria-label="y-axis tick label"]'))
        .at(-1);
      const left = svg.getBoundingClientRect().left;
      return [...svg.querySelectorAll('g[aria-label="y-axis tick label"] text')].map(
        (t) => [t.textContent, t.getBoundingClientRect().left - left] as [string, number],
      );
    });
    expect(labels.length > 0, 'no y-axis labels').toBeTruthy();
    expect(
      labels.some(([t]) => t.length >= 5),
      `no long label to check: ${labels.map(([t]) => t).join(' ')}`,
    ).toBeTruthy();
    const cut = labels.filter(([, x]) => x < 0);
    expect(cut.length === 0, `labels cut at the left: ${JSON.stringify(cut)}`).toBeTruthy();
    await page.locator('#pg-plots').screenshot({ path: join(out, '1280-6-loss-axis.png') });
    // and at a phone's width, where the chart is drawn again, narrower
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(600);
    const narrow = await page.evaluate(() => {
      const svg = [...document.querySelectorAll('#pg-plots svg')]
        .filter((v) => v.querySelector('g[aria-label="y-axis tick label"]'))
        .at(-1);
      const left = svg.getBoundingClientRect().left;
      return [...svg.querySelectorAll('g[aria-label="y-axis tick label"] text')].map(
        (t) => [t.textContent, t.getBoundingClientRect().left - left] as [string, number],
      );
    });
    const cutNarrow = narrow.filter(([, x]) => x < 0);
    expect(narrow.length > 0 && cutNarrow.length === 0, `labels cut at 390 px: ${JSON.stringify(cutNarrow)}`).toBeTruthy();
    await page.locator('#pg-plots').screenshot({ path: join(out, '390-6-loss-axis.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('6 playground: it keeps training while the CNN trains (separate workers)', async () => {
    await page.selectOption('#digits-model', 'cnn');
    await page.fill('#digits-epochs', '1');
    await page.click('#digits-train');
    await page.waitForFunction(() => document.querySelector('#digits-status')?.textContent?.includes('CNN: step'), null, {
      timeout: 60_000,
    });
    const e0 = await epoch();
    const t0 = Date.now();
    await page.click('#pg-step');
    // progress, not a clock: the step must land while the CNN is still training
    await page.waitForFunction((e) => Number(document.querySelector<HTMLElement>('#pg-status')?.dataset.epoch) === e + 1, e0, {
      timeout: 60_000,
    });
    const ms = Date.now() - t0;
    expect((await page.locator('#digits-accuracy').count()) === 0, 'the CNN finished first: nothing was shown').toBeTruthy();
    console.log(`    a playground step during CNN training: ${ms} ms`);
    await page.waitForSelector('#digits-accuracy', { timeout: 180_000 });
  });

  /** The distinct colours of the big plot's raster (the output, or a hovered unit). */
  const rasterColours = () =>
    page.evaluate(async () => {
      const img = document.querySelector('#pg-plots g[aria-label="raster"] image');
      const i = new Image();
      i.src = img.getAttribute('href');
      await i.decode();
      const c = document.createElement('canvas');
      c.width = i.width;
      c.height = i.height;
      const ctx = c.getContext('2d');
      ctx.drawImage(i, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const set = new Set();
      for (let k = 0; k < d.length; k += 4) set.add(`${d[k]},${d[k + 1]},${d[k + 2]}`);
      return { colours: set.size, href: img.getAttribute('href') };
    });

  test('6 playground: after one epoch, with the losses close together, the loss axis has labels', async () => {
    await load('dataset=circle&hidden=4,2');
    await page.click('#pg-step');
    await page.waitForSelector('#pg-status[data-epoch="1"]');
    await page.waitForTimeout(300);
    const labels = await page.evaluate(() =>
      [...document.querySelectorAll('#pg-plots svg')]
        .filter((v) => v.querySelector('g[aria-label="y-axis tick label"]'))
        .at(-1)
        .querySelectorAll('g[aria-label="y-axis tick label"] text')
        .values()
        .map((t) => t.textContent.trim())
        .filter(Boolean)
        .toArray(),
    );
    expect(labels.length >= 2 && new Set(labels).size === labels.length, `loss axis labels ${JSON.stringify(labels)}`).toBeTruthy();
  });

  test('6 playground: “discretize output” shows two colours only; “show test data” hides and shows the test points', async () => {
    await load('dataset=circle&hidden=4,2');
    for (let i = 0; i < 5; i++) await page.click('#pg-step');
    await page.waitForSelector('#pg-status[data-epoch="5"]');
    const yLabels = await page.evaluate(() =>
      [...document.querySelectorAll('#pg-plots svg')]
        .filter((v) => v.querySelector('g[aria-label="y-axis tick label"]'))
        .at(-1)
        .querySelectorAll('g[aria-label="y-axis tick label"] text')
        .values()
        .map((t) => t.textContent.trim())
        .filter(Boolean)
        .toArray(),
    );
    expect(yLabels.length >= 2, `the loss axis over a narrow range has labels ${JSON.stringify(yLabels)}`).toBeTruthy();
    const smooth = await rasterColours();
    expect(smooth.colours > 10, `the smooth output has ${smooth.colours} colours`).toBeTruthy();
    await page.check('#pg-discretize');
    const hard = await rasterColours();
    expect(hard.colours <= 2, `the discretized output has ${hard.colours} colours`).toBeTruthy();
    expect(new URL(page.url()).searchParams.get('discretize') === 'true', 'discretize not kept in the URL').toBeTruthy();
    await page.locator('#pg-plots').screenshot({ path: join(out, '1280-6-discretized.png') });
    await page.uncheck('#pg-discretize');
    expect((await rasterColours()).colours > 10, 'the output stays discretized').toBeTruthy();
    const dots = () => page.locator('#pg-plots svg g[aria-label="dot"] circle').count();
    expect((await dots()) === 400, `${await dots()} points with the test data shown`).toBeTruthy();
    await page.uncheck('#pg-show-test');
    expect((await dots()) === 200, `${await dots()} points with the test data hidden (200 train)`).toBeTruthy();
    await page.check('#pg-show-test');
    expect((await dots()) === 400, 'the test points do not come back').toBeTruthy();
  });

  test('6 playground: a colour legend from −1 to +1 explains the output’s colours', async () => {
    const ticks = await page.locator('#pg-legend svg text').allTextContents();
    expect(ticks.some((t) => /[−-]1/.test(t)) && ticks.some((t) => /\+?1$/.test(t)), `legend ticks: ${ticks.join(' ')}`).toBeTruthy();
    expect((await text(page, '#pg-legend-text')).includes('class'), 'the legend does not say what the colours are').toBeTruthy();
  });

  test('6 playground: hovering a hidden unit previews it on the big plot, leaving restores the output', async () => {
    const output = await rasterColours();
    const unit = page.locator('#pg-net .pg-neuron[data-layer="0"][data-unit="1"]');
    await unit.hover();
    await page.waitForSelector('#pg-plots[data-preview="0:1"]', { timeout: 3000 });
    const shown = await rasterColours();
    expect(shown.href !== output.href, 'the big plot did not change').toBeTruthy();
    // the preview is the unit's own picture: the same 20×20 map as its small square
    const sameMap = await page.evaluate(async () => {
      const load = async (href) => {
        const i = new Image();
        i.src = href;
        await i.decode();
        return i.width;
      };
      return load(document.querySelector('#pg-plots g[aria-label="raster"] image').getAttribute('href'));
    });
    expect(sameMap === 20, `the previewed map is ${sameMap} wide, not the unit's 20`).toBeTruthy();
    expect((await text(page, '#pg-legend-text')).includes('layer 1 unit 2'), 'the legend does not name the unit').toBeTruthy();
    await page.locator('#lesson-playground').screenshot({ path: join(out, '1280-6-unit-preview.png') });
    await page.mouse.move(5, 5);
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('#pg-plots').dataset.preview, null, { timeout: 3000 });
    expect((await rasterColours()).href === output.href, 'the output is not restored').toBeTruthy();
  });

  test('6 playground: hovering a weight shows its value; typing a new one changes the network’s loss', async () => {
    // a point of the weight's line where no other line lies on top of it
    const spot = await page.evaluate(() => {
      const line = document.querySelector<SVGLineElement>('#pg-net .pg-weight-hit[data-layer="1"][data-out="0"][data-in="2"]');
      line.scrollIntoView({ block: 'center' });
      const m = line.getScreenCTM();
      const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((a) => Number(line.getAttribute(a)));
      for (let t = 0.05; t < 1; t += 0.05) {
        const p = new DOMPoint(x1 + t * (x2 - x1), y1 + t * (y2 - y1)).matrixTransform(m);
        if (document.elementFromPoint(p.x, p.y) === line) return { x: p.x, y: p.y };
      }
      return null;
    });
    expect(spot !== null, 'no place to hover the weight').toBeTruthy();
    const box = { x: spot.x, y: spot.y, width: 0, height: 0 };
    await page.mouse.move(box.x, box.y);
    await page.waitForSelector('#pg-weight:not([hidden])', { timeout: 3000 });
    const what = await text(page, '#pg-weight-what');
    expect(what.includes('layer 1 unit 3') && what.includes('layer 2 unit 1'), `the weight is named ${what}`).toBeTruthy();
    const shown = Number(await page.inputValue('#pg-weight-value'));
    expect(Number.isFinite(shown) && shown !== 0, `weight value ${shown}`).toBeTruthy();
    const loss0 = await text(page, '#pg-train-loss');
    const e0 = await epoch();
    await page.fill('#pg-weight-value', '5');
    await page.dispatchEvent('#pg-weight-value', 'change');
    await page.waitForFunction((l) => document.querySelector('#pg-train-loss')?.textContent !== l, loss0, { timeout: 5000 });
    expect((await epoch()) === e0, 'editing a weight trained an epoch').toBeTruthy();
    await page.mouse.move(5, 5);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForTimeout(200);
    expect(
      Number(await page.inputValue('#pg-weight-value')) === 5,
      `the weight reads ${await page.inputValue('#pg-weight-value')} after setting 5`,
    ).toBeTruthy();
    await page.fill('#pg-weight-value', 'abc');
    await page.dispatchEvent('#pg-weight-value', 'change');
    expect((await text(page, '#pg-weight-value-error')).length > 0, 'no message for a bad weight').toBeTruthy();
    await page.locator('#lesson-playground').screenshot({ path: join(out, '1280-6-weight.png') });
  });

  test('6 playground: by keyboard, a focused unit is previewed and keeps the focus while training; Enter on a weight edits it', async () => {
    // a fresh run: the tests before may have trained it up to the playground's 5,000-epoch limit
    await page.click('#pg-reset');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#pg-status')?.dataset.epoch === '0', null, { timeout: 10_000 });
    await page.focus('#pg-net .pg-neuron[data-layer="0"][data-unit="0"]');
    await page.waitForSelector('#pg-plots[data-preview="0:0"]', { timeout: 3000 });
    await page.click('#pg-play');
    await page.focus('#pg-net .pg-neuron[data-layer="0"][data-unit="0"]');
    const e0 = await epoch();
    await page.waitForFunction((e) => Number(document.querySelector<HTMLElement>('#pg-status')?.dataset.epoch) > e + 20, e0, {
      timeout: 60_000,
    });
    const key = await page.evaluate(() => document.activeElement?.getAttribute('data-key'));
    expect(key === 'unit:0:0', `while training the focus went to ${key}`).toBeTruthy();
    expect((await page.getAttribute('#pg-plots', 'data-preview')) === '0:0', 'the preview was lost while training').toBeTruthy();
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => document.activeElement?.getAttribute('data-key'));
    expect(next?.startsWith('unit:'), `Tab from a unit went to ${next}`).toBeTruthy();
    await page.click('#pg-play');
    await page.focus('#pg-net .pg-weight-hit[data-layer="0"][data-out="1"][data-in="0"]');
    expect(
      (await text(page, '#pg-weight-what')).includes('x1 → layer 1 unit 2'),
      `the focused weight: ${await text(page, '#pg-weight-what')}`,
    ).toBeTruthy();
    await page.keyboard.press('Enter');
    expect(
      (await page.evaluate(() => document.activeElement?.id)) === 'pg-weight-value',
      'Enter does not go to the weight field',
    ).toBeTruthy();
  });

  test('6 playground: Share gives a link that opens the same setup; bad settings in a link are named', async ({ browser }) => {
    await page.selectOption('#pg-dataset', 'xor');
    await page.selectOption('#pg-activation', 'sigmoid');
    await page.fill('#pg-lr', '0.01');
    await page.dispatchEvent('#pg-lr', 'change');
    await page.check('#pg-discretize');
    await page.click('#pg-share');
    await page.waitForSelector('#pg-share-link');
    const link = await page.inputValue('#pg-share-link');
    const other = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
    try {
      await other.goto(link);
      await other.waitForSelector('#pg-status[data-epoch="0"]', { timeout: 30_000 });
      expect((await other.inputValue('#pg-dataset')) === 'xor', 'dataset not from the link').toBeTruthy();
      expect((await other.inputValue('#pg-activation')) === 'sigmoid', 'activation not from the link').toBeTruthy();
      expect((await other.inputValue('#pg-lr')) === '0.01', 'learning rate not from the link').toBeTruthy();
      expect(await other.isChecked('#pg-discretize'), 'discretize not from the link').toBeTruthy();
      expect((await text(other, '#pg-url-error')) === '', `a good link is called bad: ${await text(other, '#pg-url-error')}`).toBeTruthy();
      await other.goto(`${base}?lr=abc&dataset=moon&hidden=9&features=x3&noise=2#lesson-playground`);
      await other.waitForSelector('#pg-status[data-epoch="0"]', { timeout: 30_000 });
      const msg = await text(other, '#pg-url-error');
      for (const k of ['lr=abc', 'dataset=moon', 'hidden=9', 'features=x3'])
        expect(msg.includes(k), `the message does not name ${k}: ${msg}`).toBeTruthy();
      expect(!msg.includes('noise'), `a good setting is named: ${msg}`).toBeTruthy();
      expect((await other.inputValue('#pg-noise')) === '2', 'the good setting beside bad ones was dropped').toBeTruthy();
      await other.locator('#lesson-playground').screenshot({ path: join(out, '390-6-url-error.png') });
    } finally {
      await other.close();
    }
  });

  test('playground page: no page errors', async () => {
    expect(errors.length === 0, `page errors: ${errors.join(' | ')}`).toBeTruthy();
  });
});

test.describe('5 walk on a phone', () => {
  for (const [width, lang] of [
    [390, 'en'],
    [390, 'zh-CN'],
  ] as const) {
    test(`5 walk at ${width} px (${lang}): the explanation fits the screen at every step`, async ({ browser }) => {
      const { page: p } = await open(browser, { width, height: 844, query: `?lang=${lang}` });
      try {
        await p.locator('#lesson-backprop').scrollIntoViewIfNeeded();
        for (let i = 0; i < KEYS.length + 2; i++) {
          await p.click('#bp-next', { force: true });
          const wide = await p.evaluate(() => document.documentElement.scrollWidth);
          expect(wide <= width, `step ${i + 1}: the page is ${wide} px wide`).toBeTruthy();
          if (i === 4) await p.locator('#lesson-backprop').screenshot({ path: join(out, `${width}-${lang}-5-walk-node.png`) });
        }
        await p.locator('#lesson-backprop').screenshot({ path: join(out, `${width}-${lang}-5-walk-end.png`) });
      } finally {
        await p.close();
      }
    });
  }
});
