// End-to-end tests of lesson 5's step-by-step backward pass and of the playground's tools, each
// on its own page. Loaded by run.mjs, which passes its browser, server address and helpers.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

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
  const grads = Object.fromEntries(KEYS.map((k) => [k, Array.from(all[k].grad.data())]));
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

/** Runs the tests. */
export async function walkTests({ browser, base, test, expect, text, axe, clippedText, shots }) {
  const out = join(shots ?? '/work/shots/walk');
  mkdirSync(out, { recursive: true });
  const ref = await reference();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(base);
    await page.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });

    await test('5 walk: each node is revealed only at its step; each product is the autograd’s gradient', async () => {
      await page.locator('#lesson-backprop').scrollIntoViewIfNeeded();
      const revealed = () =>
        page.evaluate(() =>
          Object.fromEntries(
            [...document.querySelectorAll('#bp-graph .graph-node')].map((g) => [g.dataset.name, g.dataset.revealed === 'true']),
          ),
        );
      const nodeText = (name) =>
        page.evaluate((n) => [...document.querySelectorAll('#bp-graph .graph-node')].find((g) => g.dataset.name === n).textContent, name);
      const before = await revealed();
      expect(
        Object.values(before).every((r) => !r),
        `revealed before the walk: ${JSON.stringify(before)}`,
      );
      await page.focus('#bp-next');
      for (let i = 0; i < KEYS.length; i++) {
        const key = KEYS[i];
        const shown = await revealed();
        const names = Object.keys(shown);
        // nothing of this node or any later one is shown before its step
        for (const k of KEYS.slice(i)) {
          const name = names.find((n) => n.split(' ')[0] === (k === 'y' ? 'ŷ' : k));
          expect(name && !shown[name], `step ${i}: ${k} is revealed too early`);
          const grads = ref.grads[k].map((g) => Math.abs(g).toFixed(4)).filter((g) => g !== '0.0000' && g !== '1.0000');
          const t = await nodeText(name);
          for (const g of grads) expect(!t.includes(g), `step ${i}: ${k}'s gradient ${g} shown early: ${t}`);
        }
        await page.keyboard.press('Enter');
        const terms = await page.evaluate(() =>
          [...document.querySelectorAll('#bp-product .bp-term')].map((li) => [...li.querySelectorAll('.num')].map((s) => s.textContent)),
        );
        if (key === 'L') {
          expect(terms.length === 0 && (await text(page, '#bp-step')).includes('∂L/∂L = 1'), 'the first step is not the loss');
          continue;
        }
        expect((await page.getAttribute('#bp-product', 'data-node')) === key, `step ${i}: not ${key}`);
        expect(terms.length === ref.grads[key].length, `${key}: ${terms.length} products for ${ref.grads[key].length} gradients`);
        terms.forEach(([a, b, c], k) => {
          const [A, B, C] = [a, b, c].map(Number);
          const g = ref.grads[key][k];
          const tol = Math.abs(A) * ulp(b) + Math.abs(B) * ulp(a) + ulp(c) + 1e-7;
          expect(Math.abs(A * B - C) <= tol, `${key}[${k}]: ${a} × ${b} ≠ ${c}`);
          expect(Math.abs(C - g) <= ulp(c) + 1e-7, `${key}[${k}]: shown ${c}, the autograd's ${g}`);
        });
        const local = await text(page, '#bp-local');
        expect(/[=].*[=]\s*[[\-\d]/.test(local), `${key}: the local derivative has no value: ${local}`);
        const name = Object.keys(await revealed()).find((n) => n.split(' ')[0] === (key === 'y' ? 'ŷ' : key));
        expect((await revealed())[name], `${key} not revealed at its step`);
      }
      await page.screenshot({ path: join(out, '1280-5-walk-node.png'), fullPage: false });
    });

    await test('5 walk: the end compares with gradcheck’s finite differences, then one gradient-descent step lowers the loss', async () => {
      await page.keyboard.press('Enter');
      const rows = await page.evaluate(() =>
        [...document.querySelectorAll('#bp-fd tr.bp-fd')].map((r) => [
          r.dataset.node,
          r.querySelector('.bp-analytic').textContent,
          r.querySelector('.bp-numeric').textContent,
        ]),
      );
      expect(rows.length === 9, `${rows.length} rows of the check`);
      const seen = {};
      for (const [k, a, n] of rows) {
        const i = (seen[k] = (seen[k] ?? -1) + 1);
        const g = ref.grads[k][i];
        expect(Math.abs(Number(a) - g) <= ulp(a) + 1e-7, `${k}[${i}]: backward ${a}, the autograd's ${g}`);
        // float32 backward against a float64 central difference: agree to float32's precision
        expect(Math.abs(Number(n) - g) <= ulp(n) + 1e-5, `${k}[${i}]: finite difference ${n}, the autograd's ${g}`);
      }
      await page.locator('#bp-fd').screenshot({ path: join(out, '1280-5-walk-check.png') });
      await page.keyboard.press('Enter');
      const [b, a] = [Number(await text(page, '#bp-loss-before')), Number(await text(page, '#bp-loss-after'))];
      expect(Math.abs(b - ref.before) <= 5e-5 && Math.abs(a - ref.after) <= 5e-5, `loss ${b} → ${a}, Node: ${ref.before} → ${ref.after}`);
      expect(a < b, `the step did not lower the loss: ${b} → ${a}`);
      const updates = await page.locator('.bp-update').count();
      expect(updates === 4, `${updates} weight updates shown`);
      expect((await page.getAttribute('#bp-step', 'data-done')) === 'true', 'no end state');
      await page.locator('#lesson-backprop').screenshot({ path: join(out, '1280-5-walk-end.png') });
    });

    await test('5 walk: “Next step” keeps the focus when the walk ends', async () => {
      const focus = await page.evaluate(() => document.activeElement?.id);
      expect(focus === 'bp-next', `focus on ${focus}`);
      expect((await page.getAttribute('#bp-next', 'aria-disabled')) === 'true', 'Next step not marked disabled at the end');
      expect(!(await page.isEnabled('#bp-next')), 'Next step still enabled at the end');
      await page.keyboard.press('Enter');
      expect((await page.getAttribute('#bp-step', 'data-done')) === 'true', 'pressing at the end changed the step');
    });

    await test('walk page: axe-core finds no serious violations, nothing clipped, no page errors', async () => {
      const v = await axe(page);
      expect(v.length === 0, `violations: ${v.join(' | ')}`);
      const clipped = await clippedText(page);
      expect(clipped.length === 0, `clipped: ${clipped.join(' | ')}`);
      expect(errors.length === 0, `page errors: ${errors.join(' | ')}`);
    });
  } finally {
    await page.close();
  }
  for (const [width, lang] of [
    [390, 'en'],
    [390, 'zh-CN'],
  ]) {
    const p = await browser.newPage({ viewport: { width, height: 844 }, locale: 'en-US' });
    try {
      await p.goto(`${base}?lang=${lang}`);
      await p.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
      await test(`5 walk at ${width} px (${lang}): the explanation fits the screen at every step`, async () => {
        await p.locator('#lesson-backprop').scrollIntoViewIfNeeded();
        for (let i = 0; i < KEYS.length + 2; i++) {
          await p.click('#bp-next', { force: true });
          const wide = await p.evaluate(() => document.documentElement.scrollWidth);
          expect(wide <= width, `step ${i + 1}: the page is ${wide} px wide`);
          if (i === 4) await p.locator('#lesson-backprop').screenshot({ path: join(out, `${width}-${lang}-5-walk-node.png`) });
        }
        await p.locator('#lesson-backprop').screenshot({ path: join(out, `${width}-${lang}-5-walk-end.png`) });
      });
    } finally {
      await p.close();
    }
  }
}
