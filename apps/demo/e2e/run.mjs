// End-to-end tests of the demo in a real headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core; no browser is downloaded). Serves the built app with `vite preview`, opens
// every lesson, interacts with it, asserts the numbers the page shows and saves a screenshot
// per lesson to e2e/screenshots/. Writes test-results.json for the project's test summary.
// Without Chromium it fails, loudly, unless E2E=skip.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shots = join(root, 'e2e', 'screenshots');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const results = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, tests: [] };
const writeResults = () => writeFileSync(join(root, 'test-results.json'), `${JSON.stringify(results, null, 2)}\n`);

if (!existsSync(executablePath)) {
  if (process.env.E2E === 'skip') {
    console.log(`e2e: SKIPPED because E2E=skip (no Chromium at ${executablePath})`);
    results.numPendingTests = 1;
    writeResults();
    process.exit(0);
  }
  console.error(
    `\n*** e2e: no Chromium at ${executablePath}. Install it (apt-get install -y chromium) or set E2E=skip to skip the browser tests. ***\n`,
  );
  results.numFailedTests = 1;
  writeResults();
  process.exit(1);
}

const port = Number(process.env.E2E_PORT ?? 4173);
const server = spawn(
  process.execPath,
  [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--port', String(port), '--strictPort'],
  {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
const base = `http://127.0.0.1:${port}/`;
async function waitForServer() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(base)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('e2e: vite preview did not start');
}

const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
mkdirSync(shots, { recursive: true });

async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.numPassedTests++;
    results.tests.push({ name, ok: true });
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.numFailedTests++;
    results.tests.push({ name, ok: false, error: String(e) });
    console.log(
      `  ✗ ${name}\n    ${String(e.stack ?? e)
        .split('\n')
        .slice(0, 4)
        .join('\n    ')}`,
    );
  }
}
function expect(cond, message) {
  if (!cond) throw new Error(message);
}
const text = async (page, sel) => ((await page.locator(sel).textContent()) ?? '').trim();
const shot = (page, id, file) => page.locator(`#${id}`).screenshot({ path: join(shots, file) });

try {
  await waitForServer();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(base);
  await page.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
  console.log('e2e: the demo in headless Chromium');

  await test('seeded randomness: the page draws the same numbers as Node, bit for bit', async () => {
    const { manualSeed, randn } = await import('@gd/tensor');
    manualSeed(42);
    const node = `[${Array.from(randn([4]).data()).join(', ')}]`;
    const page_ = await text(page, '#seed-check');
    expect(page_ === node, `page ${page_} vs Node ${node}`);
  });

  await test('1 information: the uniform 4-outcome distribution reads 2 bits, in nats ln 4', async () => {
    await page.click('button[data-preset="uniform 4"]');
    expect((await text(page, '#entropy-value')) === '2.0000 bits', `entropy shows ${await text(page, '#entropy-value')}`);
    await page.selectOption('#info-unit', 'nats');
    expect((await text(page, '#entropy-value')) === `${Math.log(4).toFixed(4)} nats`, `in nats: ${await text(page, '#entropy-value')}`);
    await page.selectOption('#info-unit', 'bits');
    await page.click('button[data-preset="fair coin"]');
    expect((await text(page, '#entropy-value')) === '1.0000 bits', 'a fair coin is 1 bit');
    await page.fill('#info-probs', '0.7, 0.1, 0.1, 0.1');
    const h = Number.parseFloat(await text(page, '#entropy-value'));
    expect(h > 1.35 && h < 1.36, `peaked 4-outcome entropy ${h} (expected ≈ 1.3568)`);
    await shot(page, 'lesson-information', '1-information.png');
  });

  await test('2 cross-entropy: H(Y, Ŷ) = H(Y) + KL, and equals H(Y) when Ŷ = Y', async () => {
    const num = async (sel) => Number.parseFloat(await text(page, sel));
    const [h, ce, kl] = [await num('#ce-h'), await num('#ce-ce'), await num('#ce-kl')];
    expect(Math.abs(ce - (h + kl)) < 2e-4, `H ${h} + KL ${kl} ≠ CE ${ce}`);
    expect(kl > 0, 'KL > 0 for different distributions');
    await page.fill('#ce-mix', '1');
    await page.dispatchEvent('#ce-mix', 'input');
    expect((await num('#ce-kl')) < 1e-3, `KL at Ŷ = Y is ${await num('#ce-kl')}`);
    await shot(page, 'lesson-cross-entropy', '2-cross-entropy.png');
  });

  await test('3 line fit: each criterion stops with its own reason; a too-large η reports divergence', async () => {
    for (const [criterion, threshold] of [
      ['loss-tolerance', '1e-8'],
      ['grad-tolerance', '1e-3'],
      ['max-iterations', '25'],
    ]) {
      await page.selectOption('#fit-criterion', criterion);
      await page.fill('#fit-threshold', threshold);
      await page.fill('#fit-lr', '0.1');
      await page.click('#fit-run');
      expect((await text(page, '#fit-reason')) === criterion, `criterion ${criterion}: stopped with ${await text(page, '#fit-reason')}`);
      if (criterion === 'max-iterations') expect((await text(page, '#fit-iterations')) === '25', 'ran 25 iterations');
    }
    await page.selectOption('#fit-criterion', 'grad-tolerance');
    await page.fill('#fit-threshold', '1e-3');
    await page.fill('#fit-lr', '2.5');
    await page.click('#fit-run');
    expect((await text(page, '#fit-reason')) === 'diverged', `η = 2.5 gave ${await text(page, '#fit-reason')}`);
    await shot(page, 'lesson-line-fit', '3-line-fit.png');
    await page.fill('#fit-lr', '0.1');
    await page.click('#fit-run');
  });

  await test('4 optimizers: four paths on each surface; Adam and momentum end near the quadratic’s minimum', async () => {
    for (const surface of ['rosenbrock', 'linefit', 'quadratic']) {
      await page.selectOption('#opt-surface', surface);
      await page.click('#opt-run');
      const summary = await text(page, '#opt-summary');
      for (const m of ['GD', 'SGD', 'momentum', 'Adam']) expect(summary.includes(`${m}: ends at`), `${surface}: no path for ${m}`);
    }
    await page.fill('#opt-steps', '200');
    await page.click('#opt-run');
    const ends = Object.fromEntries(
      [...(await text(page, '#opt-summary')).matchAll(/(\w+): ends at \((-?[\d.]+), (-?[\d.]+)\)/g)].map((m) => [
        m[1],
        [Number(m[2]), Number(m[3])],
      ]),
    );
    for (const m of ['momentum', 'Adam']) expect(Math.hypot(...ends[m]) < 0.1, `${m} ended at ${ends[m]}`);
    await page.fill('#opt-steps', '60');
    await page.click('#opt-run');
    await shot(page, 'lesson-optimizers', '4-optimizers.png');
  });

  await test('5 backpropagation: gradcheck passes; stepping walks from the loss to the weights', async () => {
    expect((await text(page, '#bp-gradcheck')) === 'ok', 'gradcheck failed');
    await page.click('#bp-next');
    expect((await text(page, '#bp-step')).includes('∂L/∂L = 1'), 'the first step is the loss');
    for (let i = 0; i < 5; i++) await page.click('#bp-next');
    expect((await text(page, '#bp-step')).startsWith('∂L/∂('), 'later steps show a gradient');
    expect((await page.locator('.graph-node.active').count()) === 1, 'one node is highlighted');
    await shot(page, 'lesson-backprop', '5-backprop.png');
  });

  await test('6 playground: an MLP reaches > 90 % accuracy on circles', async () => {
    await page.selectOption('#pg-dataset', 'circles');
    await page.fill('#pg-epochs', '60');
    await page.click('#pg-train');
    await page.waitForSelector('#lesson-playground [data-done="true"]', { timeout: 120_000 });
    const acc = Number.parseFloat(await text(page, '#pg-accuracy'));
    expect(acc > 90, `accuracy ${acc}%`);
    await shot(page, 'lesson-playground', '6-playground.png');
  });

  await test('7 digits: a model trained for a short while reads a drawn 1 and a drawn 0', async () => {
    await page.fill('#digits-epochs', '2');
    await page.click('#digits-train');
    await page.waitForSelector('#digits-accuracy', { timeout: 180_000 });
    const acc = Number.parseFloat(await text(page, '#digits-accuracy'));
    expect(acc > 90, `held-out accuracy ${acc}%`);
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
    expect(one === '1', `a vertical stroke read as ${one}`);
    const circle = Array.from({ length: 25 }, (_, i) => [
      140 + 62 * Math.sin((2 * Math.PI * i) / 24),
      140 - 95 * Math.cos((2 * Math.PI * i) / 24),
    ]);
    const zero = await draw(circle);
    expect(zero === '0', `an ellipse read as ${zero}`);
    await shot(page, 'lesson-digits', '7-digits.png');
  });

  await test('no uncaught page errors', async () => {
    expect(errors.length === 0, `page errors: ${errors.join(' | ')}`);
  });
  await page.screenshot({ path: join(shots, '0-page.png'), fullPage: true });
} catch (e) {
  results.numFailedTests++;
  console.error(`e2e: ${e}`);
} finally {
  await browser.close();
  server.kill();
  writeResults();
}
console.log(`e2e: ${results.numPassedTests} passed, ${results.numFailedTests} failed`);
process.exit(results.numFailedTests > 0 ? 1 : 0);
