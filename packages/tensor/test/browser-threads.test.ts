// Threads in a browser: the built package (dist/, `pnpm build`) loaded by a page in headless
// Chromium (/usr/bin/chromium, or $CHROMIUM). Served cross-origin isolated, ready({ threads: 2 })
// starts a Web Worker on the shared memory and a split product is bit-identical to one thread;
// served without isolation, the same call runs on one thread and says so on the console.
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const PAGE = `<!doctype html><meta charset="utf-8"><title>gd threads</title>
<script type="module">import * as gd from './dist/index.js'; globalThis.gd = gd;</script>`;
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

function serve(isolated: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const headers = isolated ? ISOLATION : {};
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html', ...headers });
      res.end(PAGE);
      return;
    }
    const file = normalize(join(dist, path.replace(/^\/dist\//, '')));
    if (!path.startsWith('/dist/') || !file.startsWith(dist + sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': extname(file) === '.js' ? 'text/javascript' : 'application/json', ...headers });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface PageRun {
  isolated: boolean;
  threads: number;
  simd: string;
  identical: boolean;
  splitRan: boolean;
  expected: number[];
  got: number[];
}

// In the page: 2 threads asked for; a 257×300·300×129 product (above the split threshold, ragged
// rows) on one thread then on all, compared bit for bit; and a hand-checked 2×2 product.
async function runPage(context: BrowserContext, server: Server, notes: string[]): Promise<PageRun> {
  const tab = await context.newPage();
  tab.on('console', (m) => notes.push(m.text()));
  await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await tab.waitForFunction(() => 'gd' in globalThis);
  const run = await tab.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's module namespace
    const gd = (globalThis as any).gd;
    await gd.ready({ threads: 2 });
    const info = gd.kernelsInfo();
    gd.manualSeed(3);
    const a = gd.randn([257, 300]);
    const b = gd.randn([300, 129]);
    gd.setThreads(1);
    const one = new Uint8Array(a.matmul(b).data().buffer);
    gd.setThreads(info.threads);
    const all = new Uint8Array(a.matmul(b).data().buffer);
    const small = gd
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .matmul([
        [5, 6],
        [7, 8],
      ]);
    return {
      isolated: globalThis.crossOriginIsolated,
      threads: info.threads,
      simd: info.simd,
      identical: one.length === 257 * 129 * 4 && one.every((v: number, i: number) => v === all[i]),
      splitRan: info.threads === 2 && gd.threadCount() === 2,
      expected: [19, 22, 43, 50],
      got: Array.from(small.data() as Float32Array),
    };
  });
  await tab.close();
  return run;
}

describe('threads in headless Chromium', () => {
  let context: BrowserContext;
  const servers: Server[] = [];
  beforeAll(async () => {
    statSync(join(dist, 'index.js')); // the package must be built first
    context = await chromium
      .launch({
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      })
      .then((b) => b.newContext());
  });
  afterAll(async () => {
    await context?.browser()?.close();
    for (const s of servers) s.close();
  });

  it('a cross-origin isolated page runs 2 Web Worker threads, bit-identical to one', async () => {
    const server = await serve(true);
    servers.push(server);
    const notes: string[] = [];
    const run = await runPage(context, server, notes);
    expect(run.isolated).toBe(true);
    expect(run.threads).toBe(2);
    expect(run.splitRan).toBe(true);
    expect(run.identical).toBe(true);
    expect(run.got).toEqual(run.expected);
    expect(run.simd).toBe('relaxed'); // Chromium validates relaxed SIMD
    expect(notes.filter((n) => n.startsWith('gd:'))).toEqual([]);
  });

  it('a page without isolation falls back to one thread with a console note, not an error', async () => {
    const server = await serve(false);
    servers.push(server);
    const notes: string[] = [];
    const run = await runPage(context, server, notes);
    expect(run.isolated).toBe(false);
    expect(run.threads).toBe(1);
    expect(run.identical).toBe(true);
    expect(run.got).toEqual(run.expected);
    expect(notes.some((n) => /2 threads asked for, running on one: the page is not cross-origin isolated/.test(n))).toBe(true);
  });
});
