// Lesson 5 (docs/tutorial.md §2.5): backpropagation through a small network, node by node.
import { gradcheck, topologicalOrder, type Variable, variable } from '@gd/autograd';
import { mse } from '@gd/losses';
import { keep, tensor } from '@gd/tensor';
import { onLang, t, tr, trAttr } from '../i18n.js';
import { el, fmt, live, section, show } from '../ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const values = (t: { data(): ArrayLike<number> } | null) => (t ? Array.from(t.data(), (v) => fmt(v, 3)).join(', ') : '—');

/** A tensor's values as text lines, one per matrix row, so no line outgrows its box. */
function rows(t: { data(): ArrayLike<number>; shape: readonly number[] } | null): string[] {
  if (!t) return ['—'];
  const d = Array.from(t.data(), (v) => fmt(v, 3));
  const cols = t.shape.length >= 2 ? t.shape.at(-1)! : d.length;
  const out: string[] = [];
  for (let i = 0; i < d.length; i += cols) out.push(`[${d.slice(i, i + cols).join(', ')}]`);
  return out;
}

/** The network L = mse(σ(w₂·σ(W₁x + b₁) + b₂), t), with every node named. */
function build() {
  const x = variable(keep(tensor([[0.5, -1]])), { requiresGrad: false, name: 'x' });
  const W1 = variable(
    keep(
      tensor([
        [0.4, -0.6],
        [0.3, 0.8],
      ]),
    ),
    { name: 'W1' },
  );
  const b1 = variable(keep(tensor([0.1, -0.2])), { name: 'b1' });
  const W2 = variable(keep(tensor([[0.7, -0.5]])), { name: 'W2' });
  const b2 = variable(keep(tensor([0.05])), { name: 'b2' });
  const forward = (w1: Variable, c1: Variable, w2: Variable, c2: Variable) => {
    const z1 = x.matmul(w1, { transposeB: true }).add(c1);
    const h = z1.sigmoid();
    const z2 = h.matmul(w2, { transposeB: true }).add(c2);
    const y = z2.sigmoid();
    return { z1, h, z2, y, loss: mse(y, [[1]]) };
  };
  return { x, params: [W1, b1, W2, b2] as const, forward };
}

export function backpropLesson(): void {
  const s = section(
    'lesson-backprop',
    tr((m) => m.bp.title),
    el(
      'p',
      {},
      tr((m) => m.bp.p1),
      el('span', { class: 'formula' }, 'dz/dx = dz/dy · dy/dx'),
      tr((m) => m.bp.p1end),
    ),
  );
  const { params, forward } = build();
  const [W1, b1, W2, b2] = params;
  const f = forward(W1, b1, W2, b2);
  f.z1.name = 'z1 = W1·x + b1';
  f.h.name = 'h = σ(z1)';
  f.z2.name = 'z2 = W2·h + b2';
  f.y.name = 'ŷ = σ(z2)';
  f.loss.name = 'L = (ŷ − 1)²';
  f.loss.backward(undefined, { retainGrads: true });
  const order = topologicalOrder(f.loss);
  const all = new Set<Variable>(order);
  for (const v of order) for (const p of v.parents) all.add(p);
  const nodes = [...all].filter((v) => v.name !== undefined);
  const named = (v: Variable): Variable[] => (v.name !== undefined ? [v] : v.parents.flatMap(named));
  const inputsOf = (v: Variable) => v.parents.flatMap(named);
  // columns: a computed node sits one column right of its latest input; an input (a weight or
  // x) sits just left of the first node that uses it, so no edge crosses the graph
  const col = new Map<Variable, number>();
  const colOf = (v: Variable): number => {
    if (!col.has(v)) {
      const ins = inputsOf(v);
      col.set(v, ins.length === 0 ? 0 : 1 + Math.max(...ins.filter((p) => inputsOf(p).length > 0).map(colOf), 0));
    }
    return col.get(v)!;
  };
  for (const v of nodes) if (inputsOf(v).length > 0) colOf(v);
  for (const v of nodes) {
    if (inputsOf(v).length === 0) {
      const users = nodes.filter((u) => inputsOf(u).includes(v));
      col.set(v, Math.max(0, Math.min(...users.map((u) => col.get(u)!)) - 1));
    }
  }
  const columns = new Map<number, Variable[]>();
  for (const v of nodes) columns.set(col.get(v)!, [...(columns.get(col.get(v)!) ?? []), v]);
  // computed nodes first in a column, then its inputs below
  for (const list of columns.values()) list.sort((a, b) => Number(inputsOf(a).length === 0) - Number(inputsOf(b).length === 0));
  const CHAR = 7.3; // width of one 12 px monospace character
  const WIDE = 12.5; // and of a Chinese one
  const LINE = 16;
  const GAP_X = 26;
  const GAP_Y = 14;
  const ncols = Math.max(...columns.keys()) + 1;
  const textWidth = (l: string) => Array.from(l).reduce((w, ch) => w + (ch.charCodeAt(0) >= 0x2e80 ? WIDE : CHAR), 0);
  const svg = svgEl('svg', { role: 'img' }) as SVGSVGElement;
  trAttr(svg, 'aria-label', (m) => m.bp.graphAria);
  const boxes = new Map<Variable, SVGElement>();
  const pos = new Map<Variable, [number, number]>();
  let W = 0;
  let width = 0;
  /** Draws the graph, its labels in the page's language (their widths differ, so the boxes do). */
  const drawGraph = () => {
    const m = t().bp;
    const lines = new Map<Variable, string[]>();
    // the labels before the values share one width, so the values line up
    const pad = (label: string, to: string) => label + ' '.repeat(Math.max(0, Math.round((textWidth(to) - textWidth(label)) / CHAR)));
    const longest = [m.value, m.grad].reduce((a, b) => (textWidth(a) >= textWidth(b) ? a : b));
    const blank = ' '.repeat(Math.round(textWidth(longest) / CHAR));
    for (const v of nodes) {
      const value = rows(v.value);
      const grad = v.requiresGrad ? rows(v.grad) : [m.constant];
      lines.set(v, [
        v.name!,
        ...value.map((r, i) => `${i === 0 ? pad(m.value, longest) : blank} ${r}`),
        ...grad.map((r, i) => `${i === 0 ? pad(m.grad, longest) : blank} ${r}`),
      ]);
    }
    W = Math.ceil(Math.max(...[...lines.values()].flat().map(textWidth)) + 16);
    const heightOf = (v: Variable) => lines.get(v)!.length * LINE + 10;
    let height = 0;
    for (const [c, list] of columns) {
      let y = 6;
      for (const v of list) {
        pos.set(v, [6 + c * (W + GAP_X), y]);
        y += heightOf(v) + GAP_Y;
      }
      height = Math.max(height, y);
    }
    width = 12 + ncols * W + (ncols - 1) * GAP_X;
    svg.replaceChildren();
    boxes.clear();
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.style.maxWidth = `${width}px`;
    for (const v of nodes) {
      for (const p of inputsOf(v)) {
        const [x1, y1] = pos.get(p)!;
        const [x2, y2] = pos.get(v)!;
        const a = y1 + heightOf(p) / 2;
        const b = y2 + heightOf(v) / 2;
        const mid = (x1 + W + x2) / 2;
        svg.append(svgEl('path', { d: `M${x1 + W},${a} C${mid},${a} ${mid},${b} ${x2},${b}`, stroke: '#8c99a8', fill: 'none' }));
      }
    }
    for (const v of nodes) {
      const [x0, y0] = pos.get(v)!;
      const g = svgEl('g', { class: 'graph-node', transform: `translate(${x0},${y0})`, 'data-name': v.name! });
      g.append(svgEl('rect', { width: W, height: heightOf(v), rx: 6 }));
      const ls = lines.get(v)!;
      const nValue = rows(v.value).length;
      ls.forEach((l, i) => {
        const attrs: Record<string, string | number> = { x: 8, y: 17 + i * LINE, 'xml:space': 'preserve' };
        if (i === 0) attrs['font-weight'] = 'bold';
        if (i > nValue) attrs.fill = '#b3261e';
        g.append(svgEl('text', attrs, l));
      });
      svg.append(g);
      boxes.set(v, g);
    }
  };
  drawGraph();
  const steps = [...order].reverse().filter((v) => v.name !== undefined);
  const extra = [W1, b1, W2, b2];
  const walk = [...steps, ...extra.filter((p) => !steps.includes(p))];
  let at = -1;
  const counter = el('span', { id: 'bp-counter', class: 'note' });
  const scroller = trAttr(
    el('div', { class: 'graph-scroll', id: 'bp-graph', tabindex: '0', role: 'group' }, svg),
    'aria-label',
    (m) => m.bp.scrollAria,
  );
  const explain = el('p', { class: 'readout', id: 'bp-step', 'aria-live': 'polite' });
  live(explain, () => [t().bp.press]);
  live(counter, () => [t().bp.counter(0, walk.length)]);
  const next = el(
    'button',
    { id: 'bp-next', type: 'button' },
    tr((m) => m.bp.next),
  );
  const reset = el(
    'button',
    { class: 'secondary', type: 'button' },
    tr((m) => m.bp.reset),
  );
  const stepTo = (i: number) => {
    for (const b of boxes.values()) b.classList.remove('active');
    at = i;
    next.disabled = i >= walk.length - 1;
    live(counter, () => [t().bp.counter(i + 1, walk.length)]);
    if (i < 0) return;
    const v = walk[i]!;
    boxes.get(v)?.classList.add('active');
    // keep the active node in view when the graph is wider than the screen
    const [x0] = pos.get(v)!;
    const scale = svg.getBoundingClientRect().width / width || 1;
    const left = x0 * scale - (scroller.clientWidth - W * scale) / 2;
    scroller.scrollTo({ left: Math.max(0, left) });
    const users = nodes.filter((u) => inputsOf(u).includes(v)).map((u) => u.name!);
    const last = i === walk.length - 1;
    live(explain, () => {
      const m = t().bp;
      return [i === 0 ? m.first : `${m.through(v.name!, values(v.grad), users)}${last ? m.done : ''}`];
    });
    if (last) explain.setAttribute('data-done', 'true');
    else explain.removeAttribute('data-done');
  };
  next.addEventListener('click', () => stepTo(Math.min(walk.length - 1, at + 1)));
  reset.addEventListener('click', () => {
    stepTo(-1);
    live(counter, () => [t().bp.counter(0, walk.length)]);
    explain.removeAttribute('data-done');
    live(explain, () => [t().bp.press]);
    next.focus();
  });
  // the labels change width with the language: draw the graph again, at the same step
  onLang(() => {
    drawGraph();
    if (at >= 0) boxes.get(walk[at]!)?.classList.add('active');
  });
  // checked in float64, as PyTorch's gradcheck does: the finite differences are then good to
  // ~1e-9, so the chain rule is seen to agree to many digits; float32's only to ~1e-4 here
  const loss = (w1: Variable, c1: Variable, w2: Variable, c2: Variable) => forward(w1, c1, w2, c2).loss;
  const weights = [W1.value, b1.value, W2.value, b2.value];
  const check = gradcheck((w1, c1, w2, c2) => loss(w1!, c1!, w2!, c2!), weights, { dtype: 'float64' });
  const check32 = gradcheck((w1, c1, w2, c2) => loss(w1!, c1!, w2!, c2!), weights, { dtype: 'float32' });
  const out = el('div', {});
  s.append(out);
  show(
    out,
    el('div', { class: 'controls' }, next, reset, counter),
    explain,
    scroller,
    el(
      'p',
      { class: 'readout' },
      tr((m) => m.bp.check),
      el(
        'strong',
        { id: 'bp-gradcheck', 'data-ok': String(check.ok) },
        tr((m) => (check.ok ? m.bp.ok : m.bp.failed)),
      ),
      tr((m) => m.bp.maxRel),
      el('strong', { id: 'bp-gradcheck-error' }, check.maxRelError.toExponential(2)),
      tr((m) => m.bp.over(check.checked)),
    ),
    el(
      'p',
      { class: 'note' },
      tr((m) => m.bp.f32a),
      el('span', { id: 'bp-gradcheck-error32' }, check32.maxRelError.toExponential(2)),
      tr((m) => m.bp.f32b),
    ),
  );
}
