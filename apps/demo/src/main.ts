// The page: pick the language, start the kernels, then build every lesson in order.
import { manualSeed, randn, ready } from '@gd/tensor';
import { GLOSSARY, type Lang, lang, onLang, pickLang, setLang, t, tr, trAttr } from './i18n.js';
import { backpropLesson } from './lessons/backprop.js';
import { digitsLesson } from './lessons/digits.js';
import { crossEntropyLesson, informationLesson } from './lessons/information.js';
import { lineFitLesson } from './lessons/lineFit.js';
import { optimizersLesson } from './lessons/optimizers.js';
import { playgroundLesson } from './lessons/playground.js';
import { poemLesson } from './lessons/poem.js';
import { el, live } from './ui.js';
import type { ThreadsReport } from './worker.js';

const STORE = 'gd-demo-lang';
const stored = (() => {
  try {
    return localStorage.getItem(STORE);
  } catch {
    return null;
  }
})();
setLang(pickLang(new URLSearchParams(location.search).get('lang'), stored, navigator.languages ?? [navigator.language]));

const byId = (id: string) => document.getElementById(id)!;
const status = byId('status');

/** The page's own words (outside the lessons) follow the language. */
function bindPage(): void {
  byId('page-title').replaceChildren(tr((m) => m.page.title));
  byId('page-intro').replaceChildren(tr((m) => m.page.intro));
  trAttr(byId('page-nav'), 'aria-label', (m) => m.page.lessons);
  byId('page-nav')
    .querySelectorAll('a')
    .forEach((a, i) => {
      a.replaceChildren(tr((m) => m.page.nav[i]!));
    });
  const seed = byId('seed-check');
  byId('page-footer').replaceChildren(
    tr((m) => m.page.seedBefore),
    el('code', {}, 'manualSeed(42)'),
    tr((m) => m.page.seedThen),
    el('code', {}, 'randn([4])'),
    tr((m) => m.page.seedGives),
    seed,
    tr((m) => m.page.seedAfter),
  );
  // the glossary: the tutorial's terms, each language marked as itself
  byId('glossary-title').replaceChildren(tr((m) => m.page.glossary));
  byId('glossary').append(
    el(
      'table',
      { class: 'values glossary' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el(
            'th',
            { scope: 'col' },
            tr((m) => m.page.glossaryZh),
          ),
          el(
            'th',
            { scope: 'col' },
            tr((m) => m.page.glossaryEn),
          ),
        ),
      ),
      el('tbody', {}, ...GLOSSARY.map(([zh, en]) => el('tr', {}, el('td', { lang: 'zh-CN' }, zh), el('td', { lang: 'en' }, en)))),
    ),
  );
  // the switch: 中文 / English, remembered, and kept in the address if the address names one
  trAttr(byId('lang-switch'), 'aria-label', (m) => `${m.page.language} / ${lang() === 'en' ? '语言' : 'Language'}`);
  const buttons = Array.from(byId('lang-switch').querySelectorAll('button'));
  const mark = () => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.lang === lang()));
  };
  for (const b of buttons) {
    b.addEventListener('click', () => {
      const l = b.dataset.lang as Lang;
      try {
        localStorage.setItem(STORE, l);
      } catch {}
      const q = new URLSearchParams(location.search);
      if (q.has('lang')) {
        q.set('lang', l);
        history.replaceState(null, '', `${location.pathname}?${q}${location.hash}`);
      }
      if (l !== lang()) setLang(l);
    });
  }
  onLang(mark);
  mark();
}
bindPage();

/** Says how many threads the worker uses, and why only one where the page is not isolated. */
function showThreads(r: ThreadsReport): void {
  const p = byId('threads');
  p.setAttribute('data-threads', String(r.threads));
  live(p, () => [r.crossOriginIsolated ? t().page.threads(r.threads, r.simd) : t().page.oneThread(r.simd)]);
}
try {
  live(status, () => [t().page.starting]);
  await ready();
  manualSeed(42);
  const draws = randn([4]);
  byId('seed-check').textContent = `[${Array.from(draws.data()).join(', ')}]`;
  draws.dispose();
  informationLesson();
  crossEntropyLesson();
  lineFitLesson();
  optimizersLesson();
  backpropLesson();
  // one worker per lesson: training the digit model does not hold up the playground
  const worker = () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const playground = worker();
  playground.addEventListener('message', (e: MessageEvent<ThreadsReport | { lesson: string }>) => {
    if (e.data.lesson === 'system') showThreads(e.data as ThreadsReport);
  });
  playgroundLesson(playground);
  digitsLesson(worker());
  poemLesson(new Worker(new URL('./poemWorker.ts', import.meta.url), { type: 'module' }));
  live(status, () => [t().page.ready]);
  status.setAttribute('data-ready', 'true');
} catch (e) {
  live(status, () => [t().page.failed, el('span', { lang: 'en' }, (e as Error).message)]);
  status.classList.add('error');
  throw e;
}
