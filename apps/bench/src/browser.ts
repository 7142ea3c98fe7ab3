// `pnpm bench --browser`: serves the bench page (dist/browser, built by `vite build`) from
// 127.0.0.1 twice, with TensorFlow.js's wasm binaries beside it: cross-origin isolated (COOP
// same-origin + COEP require-corp, so SharedArrayBuffer and threads are allowed) and not. Each
// peer is fastest in one or the other (jax-js's worker pool pays a message per kernel, which
// small steps feel), so both pages run every workload, round by round, in headless Chromium
// (Debian's /usr/bin/chromium, a fresh profile), and the table takes each peer at its better.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDigits } from '@gd/lessons/mnist';
import { chromium } from 'playwright-core';
import type { PageConfig, PageInfo, PageThreads, SampleResult } from './browser/page.js';
import { formatConfigTable, formatTable, type PeerName, type Row, summariseBest } from './harness.js';

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
 * isolated unless `isolated` is false; paths outside a route's directory are refused. Every path
 * served is pushed to `served`.
 */
export function serveStatic(routes: Record<string, string>, o: { served?: string[]; isolated?: boolean } = {}): Promise<Server> {
  const served = o.served ?? [];
  const headers = o.isolated === false ? {} : ISOLATION_HEADERS;
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204, headers);
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
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
      served.push(path);
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404, headers);
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
  only?: string[];
  out: string;
}

/** The two pages every workload runs in: threads allowed, and not. */
export const CONFIGS = ['isolated', 'not isolated'] as const;
export type Config = (typeof CONFIGS)[number];

/** A cell's configuration: "isolated, 2 threads", "not isolated, 1 thread". */
export function describeConfig(config: string, threads: number | undefined): string {
  return threads === undefined ? config : `${config}, ${threads} thread${threads === 1 ? '' : 's'}`;
}

/** The matmul sizes the browser runs: `--quick` keeps 256 and 1024 (the rows) when asked for the default sizes. */
export function browserSizes(quick: boolean, sizes: number[], sizesGiven: boolean): number[] {
  return quick && !sizesGiven ? [256, 1024] : sizes;
}

interface Tab {
  config: Config;
  /** Makes this tab the visible one: a background tab's renderer runs at a lower priority. */
  front(): Promise<void>;
  evaluate<R, A>(fn: (a: A) => R | Promise<R>, arg: A): Promise<R>;
  served: string[];
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

  const routes = { '/tfjs/': tfjsDist, '/': page };
  const servers: Server[] = [];
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
      // two tabs run by turns: neither may be slowed as a background tab
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
  try {
    const { images, labels } = readDigits();
    const config: PageConfig = {
      minMs: o.minMs,
      sizes: o.sizes,
      only: o.only,
      x: Array.from(images.subarray(0, 128 * 784)),
      y: Array.from(labels.subarray(0, 128)),
    };
    const tabs: Tab[] = [];
    const infos = new Map<Config, PageInfo>();
    for (const c of CONFIGS) {
      const served: string[] = [];
      const server = await serveStatic(routes, { served, isolated: c === 'isolated' });
      servers.push(server);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const tab = browser.pages().length > 0 && tabs.length === 0 ? browser.pages()[0]! : await browser.newPage();
      tab.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') console.error(`page (${c}) ${m.type()}: ${m.text()}`);
        else if (m.text().startsWith('[bench] ')) console.log(`  ${m.text().slice(8)}`);
      });
      tab.on('pageerror', (e) => console.error(`page (${c}) error: ${e.message}`));
      await tab.goto(url);
      await tab.waitForFunction(() => 'gdBenchStart' in globalThis);
      console.log(`bench --browser: ${url} (${c})`);
      const info = await tab.evaluate(
        (cfg) => (globalThis as unknown as { gdBenchStart: (c: PageConfig) => Promise<PageInfo> }).gdBenchStart(cfg),
        config,
      );
      if (info.crossOriginIsolated !== (c === 'isolated')) {
        throw new Error(`bench --browser: the ${c} page reports crossOriginIsolated ${info.crossOriginIsolated}`);
      }
      infos.set(c, info);
      tabs.push({ config: c, front: () => tab.bringToFront(), evaluate: (fn, arg) => tab.evaluate(fn as never, arg) as never, served });
    }
    const info = infos.get('isolated')!;
    const labelsOf = (i: PageInfo) => i.workloads.map((w) => w.label).join('\n');
    if (labelsOf(info) !== labelsOf(infos.get('not isolated')!)) throw new Error('bench --browser: the two pages list different workloads');
    if (info.workloads.length === 0) {
      console.error(`--only: no workload in '${o.only?.join(',')}'; choose matmul, mlp, linefit, softmax-ce, lenet, lstm or conv`);
      process.exit(2);
    }

    const rows: Row[] = [];
    for (const [i, w] of info.workloads.entries()) {
      console.log(`  ${w.label}`);
      const perConfig = new Map(CONFIGS.map((c) => [c, new Map<PeerName, number[]>(w.peers.map((p) => [p, []]))]));
      const unsupported = new Map(CONFIGS.map((c) => [c, {} as Partial<Record<PeerName, string>>]));
      for (let r = 0; r < o.rounds; r++) {
        // the pages take turns leading a round, so neither always runs on a machine the other warmed
        const order = r % 2 === 0 ? tabs : [...tabs].reverse();
        for (const tab of order) {
          await tab.front();
          for (const p of w.peers) {
            const failed = unsupported.get(tab.config)!;
            if (failed[p] !== undefined) continue;
            const res = await tab.evaluate(
              ([j, q]) =>
                (globalThis as unknown as { gdBenchSample: (i: number, p: PeerName) => Promise<SampleResult> }).gdBenchSample(j, q),
              [i, p] as [number, PeerName],
            );
            if ('error' in res) {
              failed[p] = res.error;
              perConfig.get(tab.config)!.delete(p);
            } else perConfig.get(tab.config)!.get(p)!.push(res.value);
          }
        }
      }
      rows.push(summariseBest(w, perConfig, unsupported));
    }

    const threads = new Map<Config, PageThreads>();
    for (const tab of tabs) {
      threads.set(
        tab.config,
        await tab.evaluate(() => (globalThis as unknown as { gdBenchThreads: () => PageThreads }).gdBenchThreads(), 0),
      );
    }
    const describe = (c: string, p: PeerName) => describeConfig(c, threads.get(c as Config)?.threads[p as 'gd']);
    const version = /Chrome\/([\d.]+)/.exec(info.userAgent)?.[1] ?? 'unknown';
    // which of its three builds TensorFlow.js chose in each page: the threaded SIMD one where threads are allowed
    const tfjsBinary = Object.fromEntries(
      tabs.map((t) => [t.config, t.served.filter((p) => p.startsWith('/tfjs/')).map((p) => p.slice(6))]),
    );
    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      browser: `Chromium ${version}`,
      date: new Date().toISOString().slice(0, 10),
    };
    console.log(
      `\ngd vs TensorFlow.js ${info.tfjs} (wasm) and jax-js ${info.jax} (wasm) in headless ${machine.browser} — ${machine.cpu}, ${machine.cores} cores (navigator.hardwareConcurrency ${info.hardwareConcurrency}), ${machine.date}`,
    );
    console.log(
      `median (min–max) of ${o.rounds} rounds; every workload runs in a cross-origin isolated page (threads allowed) and in one that is not,`,
    );
    console.log(
      'round by round; each peer is taken in its faster page (named in its cell with the threads it used there) and gd/peer is paired',
    );
    console.log('within each round against that; "best peer" is the fastest of the others; a ratio > 1 means gd is faster\n');
    console.log(formatTable(rows, undefined, describe));
    console.log('\nevery configuration (median; * the one taken above):\n');
    console.log(formatConfigTable(rows, CONFIGS));
    for (const t of tabs) {
      const th = threads.get(t.config)!;
      console.log(
        `\n${t.config}: gd on ${th.threads.gd} thread${th.threads.gd === 1 ? '' : 's'} (${th.workers.gd} workers); TensorFlow.js loaded ${tfjsBinary[t.config]!.join(', ') || 'no wasm binary'}, reports ${th.threads['tfjs-wasm']} XNNPACK thread${th.threads['tfjs-wasm'] === 1 ? '' : 's'} and started ${th.workers['tfjs-wasm']} workers; jax-js started ${th.workers['jax-js']} workers`,
      );
    }
    const out = o.out.replace(/latest\.json$/, 'browser.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ machine, pages: Object.fromEntries(infos), threads: Object.fromEntries(threads), rows, tfjsBinary, rounds: o.rounds, quick: o.quick }, null, 2)}\n`,
    );
    console.log(`\nwrote ${out}`);
  } finally {
    await browser.close();
    for (const s of servers) s.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
