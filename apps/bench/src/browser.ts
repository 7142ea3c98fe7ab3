// `pnpm bench --browser`: serves the bench page (dist/browser, built by `vite build`) from
// 127.0.0.1, cross-origin isolated (COOP same-origin + COEP require-corp, so SharedArrayBuffer
// and threads are allowed), with TensorFlow.js's wasm binaries beside it; opens it in headless
// Chromium (Debian's /usr/bin/chromium, a fresh profile) and prints the page's table.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDigits } from '@gd/lessons/mnist';
import { chromium } from 'playwright-core';
import type { PageConfig, PageResult } from './browser/page.js';
import { formatTable } from './harness.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** The headers that make a page cross-origin isolated. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/**
 * A static server on 127.0.0.1 for `routes` (URL prefix → directory), every response cross-origin
 * isolated; paths outside a route's directory are refused. Every path served is pushed to `served`.
 */
export function serveIsolated(routes: Record<string, string>, served: string[] = []): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204, ISOLATION_HEADERS);
      res.end();
      return;
    }
    const prefix = Object.keys(routes)
      .sort((a, b) => b.length - a.length)
      .find((p) => path.startsWith(p));
    const dir = prefix === undefined ? undefined : routes[prefix];
    let file = dir === undefined ? undefined : normalize(join(dir, path.slice(prefix!.length) || 'index.html'));
    if (file && dir && !file.startsWith(normalize(dir + sep)) && file !== normalize(dir)) file = undefined;
    try {
      if (!file || !statSync(file).isFile()) throw new Error('not found');
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...ISOLATION_HEADERS });
      served.push(path);
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404, ISOLATION_HEADERS);
      res.end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export interface BrowserOptions {
  quick: boolean;
  rounds: number;
  minMs: number;
  sizes: number[];
  only?: string;
  out: string;
}

export async function runInBrowser(o: BrowserOptions): Promise<void> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const here = dirname(fileURLToPath(import.meta.url));
  const page = join(here, 'browser');
  const tfjsDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const [what, path] of [
    ['Chromium', executablePath],
    ['the bench page (pnpm build)', join(page, 'index.html')],
  ] as const) {
    try {
      statSync(path);
    } catch {
      console.error(`bench --browser: ${what} not found at ${path}`);
      process.exit(2);
    }
  }

  const served: string[] = [];
  const server = await serveIsolated({ '/tfjs/': tfjsDist, '/': page }, served);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const profile = mkdtempSync(join(tmpdir(), 'gd-bench-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
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
  try {
    const tab = browser.pages()[0] ?? (await browser.newPage());
    tab.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.error(`page ${m.type()}: ${m.text()}`);
      else if (m.text().startsWith('[bench] ')) console.log(`  ${m.text().slice(8)}`);
    });
    tab.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await tab.goto(url);
    await tab.waitForFunction(() => 'gdBench' in globalThis);
    const { images, labels } = readDigits();
    const config: PageConfig = {
      rounds: o.rounds,
      minMs: o.minMs,
      sizes: o.quick && o.sizes.length > 2 ? o.sizes.slice(0, 2) : o.sizes,
      only: o.only,
      x: Array.from(images.subarray(0, 128 * 784)),
      y: Array.from(labels.subarray(0, 128)),
    };
    console.log(`bench --browser: ${url}`);
    const result = await tab.evaluate(
      (c) => (globalThis as unknown as { gdBench: (c: PageConfig) => Promise<PageResult> }).gdBench(c),
      config,
    );
    const version = /Chrome\/([\d.]+)/.exec(result.userAgent)?.[1] ?? 'unknown';
    if (!result.crossOriginIsolated) throw new Error('bench --browser: the page is not cross-origin isolated; threads were not allowed');
    // which of its three builds TensorFlow.js chose: the threaded SIMD one when threads are allowed
    const tfjsBinary = served.filter((p) => p.startsWith('/tfjs/')).map((p) => p.slice(6));
    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      browser: `Chromium ${version}`,
      date: new Date().toISOString().slice(0, 10),
    };
    console.log(
      `\ngd vs TensorFlow.js ${result.tfjs} (wasm) and jax-js ${result.jax} (wasm) in headless ${machine.browser}, cross-origin isolated — ${machine.cpu}, ${machine.cores} cores (navigator.hardwareConcurrency ${result.hardwareConcurrency}), ${machine.date}`,
    );
    console.log(
      `median (min–max) of ${o.rounds} rounds, paired within each round; headings give the threads each peer used; a ratio > 1 means gd is faster\n`,
    );
    console.log(formatTable(result.rows, result.threads));
    console.log(
      `\nTensorFlow.js loaded ${tfjsBinary.join(', ') || 'no wasm binary'} and started ${result.workers['tfjs-wasm']} workers; jax-js started ${result.workers['jax-js']}`,
    );
    const out = o.out.replace(/latest\.json$/, 'browser.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ machine, ...result, tfjsBinary, rounds: o.rounds, quick: o.quick }, null, 2)}\n`);
    console.log(`\nwrote ${out}`);
  } finally {
    await browser.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
