// The page: start the kernels, then build every lesson in order.
import { manualSeed, randn, ready } from '@gd/tensor';
import { backpropLesson } from './lessons/backprop.js';
import { digitsLesson } from './lessons/digits.js';
import { crossEntropyLesson, informationLesson } from './lessons/information.js';
import { lineFitLesson } from './lessons/lineFit.js';
import { optimizersLesson } from './lessons/optimizers.js';
import { playgroundLesson } from './lessons/playground.js';

const status = document.getElementById('status')!;
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
  playgroundLesson(worker);
  digitsLesson(worker);
  status.textContent = 'Ready: every lesson below runs gd in this page.';
  status.setAttribute('data-ready', 'true');
} catch (e) {
  status.textContent = `gd could not start: ${(e as Error).message}`;
  status.classList.add('error');
  throw e;
}
