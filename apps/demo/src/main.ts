// The page: start the kernels, then build every lesson in order.
import { manualSeed, randn, ready } from '@gd/tensor';
import { backpropLesson } from './lessons/backprop.js';
import { digitsLesson } from './lessons/digits.js';
import { crossEntropyLesson, informationLesson } from './lessons/information.js';
import { lineFitLesson } from './lessons/lineFit.js';
import { optimizersLesson } from './lessons/optimizers.js';
import { playgroundLesson } from './lessons/playground.js';
import type { ThreadsReport } from './worker.js';

const status = document.getElementById('status')!;

/** Says how many threads the worker trains on, and why only one where the page is not isolated. */
function showThreads(r: ThreadsReport): void {
  const p = document.getElementById('threads')!;
  p.setAttribute('data-threads', String(r.threads));
  p.textContent = r.crossOriginIsolated
    ? `Training runs in a Web Worker on ${r.threads} thread${r.threads === 1 ? '' : 's'} (${r.simd} SIMD): this page is cross-origin isolated, so gd's threads share its memory.`
    : `Training runs in a Web Worker on one thread (${r.simd} SIMD): this page is not cross-origin isolated, so threads cannot share memory. Served with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, it trains on every core.`;
}
try {
  await ready();
  manualSeed(42);
  const draws = randn([4]);
  document.getElementById('seed-check')!.textContent = `[${Array.from(draws.data()).join(', ')}]`;
  draws.dispose();
  informationLesson();
  crossEntropyLesson();
  lineFitLesson();
  optimizersLesson();
  backpropLesson();
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('message', (e: MessageEvent<ThreadsReport | { lesson: string }>) => {
    if (e.data.lesson === 'system') showThreads(e.data as ThreadsReport);
  });
  playgroundLesson(worker);
  digitsLesson(worker);
  status.textContent = 'Ready: every lesson below runs gd in this page.';
  status.setAttribute('data-ready', 'true');
} catch (e) {
  status.textContent = `gd could not start: ${(e as Error).message}`;
  status.classList.add('error');
  throw e;
}
