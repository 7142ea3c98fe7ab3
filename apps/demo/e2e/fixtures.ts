// What every e2e spec shares: the server's address, opening a page on the demo, the helpers that
// read it (text, screenshots, axe-core, clipped or untranslated text, bad input refused in place)
// and ONNX Runtime. The specs share pages between their tests, in order (serial describe blocks
// whose pages are opened in beforeAll); each spec opens its own, so none depends on another.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, expect, type Page, test } from '@playwright/test';
import * as ort from 'onnxruntime-node';

export { expect, test };

/** apps/demo. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the screenshots go (e2e/screenshots/, not in git). */
export const shots = join(root, 'e2e', 'screenshots');
/** The port `vite preview` serves the built demo on (playwright.config.ts starts it). */
export const port = Number(process.env.E2E_PORT ?? 4173);
/** The demo's address, with a trailing slash: `${base}?lang=zh-CN`. */
export const base = `http://127.0.0.1:${port}/`;

/** Every lesson's section id and the name of its screenshot. */
export const LESSONS = [
  ['lesson-information', '1-information.png'],
  ['lesson-cross-entropy', '2-cross-entropy.png'],
  ['lesson-line-fit', '3-line-fit.png'],
  ['lesson-optimizers', '4-optimizers.png'],
  ['lesson-backprop', '5-backprop.png'],
  ['lesson-playground', '6-playground.png'],
  ['lesson-digits', '7-digits.png'],
  ['lesson-poem', '8-poem.png'],
] as const;

/** A page on the demo and what it reported: uncaught errors, and console warnings and errors. */
export interface Opened {
  page: Page;
  /** Uncaught page errors. */
  errors: string[];
  /** Console errors, by their text. */
  consoleErrors: string[];
  /** Console warnings and errors, as `warning: …` / `error: …`. */
  console: string[];
}

/** Options of {@link open}. */
export interface OpenOptions {
  width?: number;
  height?: number;
  /** The browser's language (navigator.language); the page follows it unless `query` sets ?lang=. */
  locale?: string;
  hasTouch?: boolean;
  /** Appended to the address: `?lang=zh-CN`, `?dataset=xor#lesson-playground`. */
  query?: string;
  /** Wait for the worker to be ready (`#status[data-ready]`); true unless set. */
  ready?: boolean;
}

/** Opens the demo in a new page (its own context) and waits until the worker is ready. */
export async function open(browser: Browser, options: OpenOptions = {}): Promise<Opened> {
  const { width = 1280, height = 900, locale = 'en-US', hasTouch = false, query = '', ready = true } = options;
  const page = await browser.newPage({ viewport: { width, height }, locale, hasTouch });
  const opened: Opened = { page, errors: [], consoleErrors: [], console: [] };
  page.on('pageerror', (e) => opened.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') opened.consoleErrors.push(m.text());
    if (m.type() === 'warning' || m.type() === 'error') opened.console.push(`${m.type()}: ${m.text()}`);
  });
  await page.goto(`${base}${query}`);
  if (ready) await page.waitForSelector('#status[data-ready="true"]', { timeout: 30_000 });
  return opened;
}

/** The trimmed text of the first element matching `sel` ('' when it has none). */
export const text = async (page: Page, sel: string): Promise<string> => ((await page.locator(sel).textContent()) ?? '').trim();

/** Scrolls to `sel` and saves its screenshot as e2e/screenshots/`file`. */
export async function shot(page: Page, sel: string, file: string): Promise<void> {
  await page.locator(sel).scrollIntoViewIfNeeded();
  await page.locator(sel).screenshot({ path: join(shots, file) });
}

const axeSource = readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** Runs axe-core on the whole page: its serious and critical violations, one line each. */
export async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe-core's global, added by the script tag above
    const res = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return (res.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')}`,
      );
  });
}

/** The labels, buttons, headings and menus whose text is wider than their own box (spilling out or cut off). */
export const clippedText = (page: Page): Promise<string[]> =>
  page.evaluate(() =>
    [...document.querySelectorAll('#lessons label, #lessons button, #lessons h2, #lessons th, #lessons select, header button, header h1')]
      .filter((e) => e.scrollWidth > e.clientWidth + 1)
      .map((e) => (e.textContent ?? '').trim().slice(0, 40)),
  );

/** The charts drawn narrower than their box or scaled down on screen (unreadable tick labels). */
export const squeezedCharts = (page: Page): Promise<{ id?: string; drawn: number; shown: number }[]> =>
  page.evaluate(() =>
    [...document.querySelectorAll('#lessons svg[viewBox]')]
      .filter((svg) => svg.closest('.graph-scroll') === null && svg.getAttribute('width'))
      .map((svg) => ({
        id: svg.closest('section')?.id,
        drawn: Number(svg.getAttribute('width')),
        shown: svg.getBoundingClientRect().width,
      }))
      .filter((c) => c.shown > 0 && c.shown < c.drawn - 1),
  );

/** Latin words a Chinese page may show: names of methods, models, formats and symbols. */
export const ALLOWED_LATIN = new Set(
  'MNIST ONNX Adam SGD GD L-BFGS ReLU MLP CNN LeNet-5 XOR KL MSE KB tanh sigmoid sin log float32 float64 Rosenbrock WebAssembly Web Worker SIMD Node Python Runtime Transformer gd'.split(
    ' ',
  ),
);

/** The Latin words of a section's text that are not on the allow-list (code, formulas and text marked English aside). */
export const untranslated = (page: Page, id: string): Promise<string[]> =>
  page.evaluate(
    ([id, allowed]) => {
      const found = new Set<string>();
      const walk = document.createTreeWalker(document.getElementById(id) as HTMLElement, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const p = n.parentElement;
        if (!p || p.closest('code, .formula, [lang="en"], script, style')) continue;
        for (const [w] of (n as Text).data.matchAll(/[A-Za-z][A-Za-z0-9-]*/g))
          if (/[A-Za-z]{2}/.test(w) && !allowed.includes(w)) found.add(w);
      }
      return [...found];
    },
    [id, [...ALLOWED_LATIN]] as const,
  );

/** True when `s` has a Chinese character. */
export const hasHan = (s: string): boolean => /[\u4e00-\u9fff]/.test(s);

/**
 * Types each bad value into a field (pressing `run` after each, when given) and checks that a
 * message appears beside the field, in the reader's words, that the field is marked invalid,
 * that nothing ran (`ranMarker`'s HTML is unchanged) and that `run` stays enabled; then restores
 * the good value and checks the message goes.
 */
export async function rejects(page: Page, field: string, bad: string[], run?: string, ranMarker?: string): Promise<void> {
  const good = await page.inputValue(field);
  for (const v of bad) {
    const before = ranMarker ? await page.locator(ranMarker).innerHTML() : null;
    await page.fill(field, v);
    if (run) await page.click(run);
    const msg = await text(page, `${field}-error`);
    expect(msg.length > 0, `${field} = "${v}": no message beside the field`).toBeTruthy();
    expect(!/Error|undefined|NaN/.test(msg), `${field} = "${v}": library words in the message: ${msg}`).toBeTruthy();
    expect((await page.getAttribute(field, 'aria-invalid')) === 'true', `${field} = "${v}": not marked invalid`).toBeTruthy();
    if (ranMarker) expect((await page.locator(ranMarker).innerHTML()) === before, `${field} = "${v}": something ran`).toBeTruthy();
    if (run) expect(await page.isEnabled(run), `${field} = "${v}": ${run} left disabled`).toBeTruthy();
  }
  await page.fill(field, good);
  expect((await text(page, `${field}-error`)) === '', `${field}: the message stays after the value is fixed`).toBeTruthy();
}

/** Presses `button` and returns the downloaded file's name and bytes. */
export async function download(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(button)]);
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

/** Runs an ONNX model in ONNX Runtime (Node) on one float32 input; returns the softmax of its first output. */
export async function ortProbs(bytes: Uint8Array, input: ArrayLike<number>, shape: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(input), shape) });
  const logits = Array.from(out[session.outputNames[0]].data as Float32Array);
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** The built demo (dist/) from a plain static server, without the cross-origin isolation headers. */
export function servePlain(dir = join(root, 'dist')): Promise<Server> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.wasm': 'application/wasm',
    '.bin': 'application/octet-stream',
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
