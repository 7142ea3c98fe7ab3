// Lesson 5 (docs/tutorial.md §2.5): backpropagation through a small network, node by node.
import { gradcheck, noGrad, topologicalOrder, type Variable, variable } from '@gd/autograd';
import { mse } from '@gd/losses';
import { keep, scope, tensor } from '@gd/tensor';
import { onLang, t, tr, trAttr } from '../i18n.js';
import { type Child, el, fmt, live, section, show } from '../ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

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
  // a node's gradient is shown only once the walk has reached it
  const revealed = new Set<Variable>();
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
      const grad = !v.requiresGrad ? [m.constant] : revealed.has(v) ? rows(v.grad) : rows(v.value).map(() => '?');
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
      const g = svgEl('g', {
        class: 'graph-node',
        transform: `translate(${x0},${y0})`,
        'data-name': v.name!,
        'data-revealed': String(revealed.has(v)),
      });
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
  const key = new Map<Variable, [string, string]>([
    [f.loss, ['L', 'L']],
    [f.y, ['y', 'ŷ']],
    [f.z2, ['z2', 'z2']],
    [W2, ['W2', 'W2']],
    [b2, ['b2', 'b2']],
    [f.h, ['h', 'h']],
    [f.z1, ['z1', 'z1']],
    [W1, ['W1', 'W1']],
    [b1, ['b1', 'b1']],
  ]);
  const x = nodes.find((v) => v.name === 'x')!;
  const num = (v: Variable | null | undefined, which: 'value' | 'grad' = 'value') => {
    const t = which === 'value' ? v?.value : v?.grad;
    return t ? Array.from(t.data(), Number) : [];
  };
  /** One backward step: ∂L/∂(node) = ∂L/∂(its user) × ∂(its user)/∂(node), term by term. */
  interface Step {
    v: Variable;
    /** the node it arrives from (none for the loss itself) */
    from?: Variable;
    /** the local derivative ∂(user)/∂(node), as a formula */
    formula: string;
    /** per element of ∂L/∂(node): its name, the upstream factor, the local factor */
    terms: Array<[string, number, number]>;
  }
  const y = num(f.y)[0]!;
  const hv = num(f.h);
  const xv = num(x);
  const w2 = num(W2);
  const gL = num(f.loss, 'grad')[0]!;
  const gy = num(f.y, 'grad')[0]!;
  const gz2 = num(f.z2, 'grad')[0]!;
  const gh = num(f.h, 'grad');
  const gz1 = num(f.z1, 'grad');
  const pairs = (n: number, name: (j: number) => string, a: (j: number) => number, b: (j: number) => number) =>
    Array.from({ length: n }, (_, j): [string, number, number] => [name(j), a(j), b(j)]);
  const walkNodes: Step[] = [
    { v: f.loss, formula: '∂L/∂L = 1', terms: [] },
    { v: f.y, from: f.loss, formula: '∂(ŷ − 1)²/∂ŷ = 2(ŷ − 1)', terms: [['∂L/∂ŷ', gL, 2 * (y - 1)]] },
    { v: f.z2, from: f.y, formula: '∂ŷ/∂z2 = σ′(z2) = ŷ(1 − ŷ)', terms: [['∂L/∂z2', gy, y * (1 - y)]] },
    {
      v: W2,
      from: f.z2,
      formula: '∂z2/∂W2[0,j] = h[j]',
      terms: pairs(
        2,
        (j) => `∂L/∂W2[0,${j}]`,
        () => gz2,
        (j) => hv[j]!,
      ),
    },
    { v: b2, from: f.z2, formula: '∂z2/∂b2 = 1', terms: [['∂L/∂b2', gz2, 1]] },
    {
      v: f.h,
      from: f.z2,
      formula: '∂z2/∂h[j] = W2[0,j]',
      terms: pairs(
        2,
        (j) => `∂L/∂h[${j}]`,
        () => gz2,
        (j) => w2[j]!,
      ),
    },
    {
      v: f.z1,
      from: f.h,
      formula: '∂h[j]/∂z1[j] = h[j](1 − h[j])',
      terms: pairs(
        2,
        (j) => `∂L/∂z1[${j}]`,
        (j) => gh[j]!,
        (j) => hv[j]! * (1 - hv[j]!),
      ),
    },
    {
      v: W1,
      from: f.z1,
      formula: '∂z1[i]/∂W1[i,j] = x[j]',
      terms: pairs(
        4,
        (k) => `∂L/∂W1[${k >> 1},${k & 1}]`,
        (k) => gz1[k >> 1]!,
        (k) => xv[k & 1]!,
      ),
    },
    {
      v: b1,
      from: f.z1,
      formula: '∂z1[i]/∂b1[i] = 1',
      terms: pairs(
        2,
        (i) => `∂L/∂b1[${i}]`,
        (i) => gz1[i]!,
        () => 1,
      ),
    },
  ];
  const weights4 = [W1, b1, W2, b2] as const;
  // the end of the walk: each weight's gradient against the central difference gradcheck takes,
  // (L(w + ε) − L(w − ε)) / 2ε with gradcheck's float64 step ε = 1e-6, one element at a time
  const EPS = 1e-6;
  const loss64 = (ws: number[][]) =>
    noGrad(() =>
      scope(() => {
        const vs = weights4.map((q, i) =>
          variable(tensor(Float64Array.from(ws[i]!), { shape: q.value.shape, dtype: 'float64' }), { requiresGrad: false }),
        );
        return forward(vs[0]!, vs[1]!, vs[2]!, vs[3]!).loss.item();
      }),
    );
  const fd = weights4.map((p, i) =>
    num(p).map((_, k) => {
      const moved = (d: number) => weights4.map((q, j) => num(q).map((w, l) => (j === i && l === k ? w + d : w)));
      return (loss64(moved(EPS)) - loss64(moved(-EPS))) / (2 * EPS);
    }),
  );
  // and one gradient-descent step with every weight's gradient: w' = w − η∇w
  const ETA = 0.5;
  const lossBefore = num(f.loss)[0]!;
  const updated = weights4.map((p) => {
    const g = num(p, 'grad');
    return num(p).map((w, k) => w - ETA * g[k]!);
  });
  const lossAfter = noGrad(() =>
    scope(() => {
      const ws = weights4.map((p, i) =>
        variable(tensor(Float32Array.from(updated[i]!), { shape: p.value.shape }), { requiresGrad: false }),
      );
      return forward(ws[0]!, ws[1]!, ws[2]!, ws[3]!).loss.item();
    }),
  );
  const walk: Array<Step | 'check' | 'update'> = [...walkNodes, 'check', 'update'];
  let at = -1;
  const counter = el('span', { id: 'bp-counter', class: 'note' });
  const scroller = trAttr(
    el('div', { class: 'graph-scroll', id: 'bp-graph', tabindex: '0', role: 'group' }, svg),
    'aria-label',
    (m) => m.bp.scrollAria,
  );
  const explain = el('div', { class: 'readout bp-step', id: 'bp-step', 'aria-live': 'polite' });
  live(explain, () => [t().bp.press]);
  live(counter, () => [t().bp.counter(0, walk.length)]);
  const next = el(
    'button',
    { id: 'bp-next', type: 'button' },
    tr((m) => m.bp.next),
  );
  const reset = el(
    'button',
    { class: 'secondary', type: 'button', id: 'bp-reset' },
    tr((m) => m.bp.reset),
  );
  const n = (v: number, cls = 'num') => el('span', { class: cls }, fmt(v, 4));
  const list = (vs: number[]) => (vs.length === 1 ? fmt(vs[0]!, 4) : `[${vs.map((v) => fmt(v, 4)).join(', ')}]`);
  /** An element of a weight as the products name it: W1[i,j], W2[0,j], b1[i], b2. */
  const elementName = (p: Variable, k: number) => {
    const [, sym] = key.get(p)!;
    const shape = p.value.shape;
    if (p.value.size === 1) return sym;
    if (shape.length === 2) return `${sym}[${Math.floor(k / shape[1]!)},${k % shape[1]!}]`;
    return `${sym}[${k}]`;
  };
  /** What one step shows: the local derivative, the gradient arriving, their product. */
  const render = (step: Step | 'check' | 'update', last: boolean): Child[] => {
    const m = t().bp;
    if (step === 'check') {
      const head = el('tr', {}, ...[m.weight, m.autograd, m.finiteDiff, m.difference].map((h) => el('th', { scope: 'col' }, h)));
      const body = weights4.flatMap((p, i) =>
        num(p, 'grad').map((g, k) =>
          el(
            'tr',
            { class: 'bp-fd', 'data-node': key.get(p)![0] },
            el('td', {}, elementName(p, k)),
            el('td', {}, n(g, 'num bp-analytic')),
            el('td', {}, n(fd[i]![k]!, 'num bp-numeric')),
            el('td', {}, Math.abs(g - fd[i]![k]!).toExponential(1)),
          ),
        ),
      );
      return [
        el('p', {}, m.checkStep),
        el(
          'div',
          { class: 'table-scroll' },
          el('table', { class: 'values', id: 'bp-fd' }, el('thead', {}, head), el('tbody', {}, ...body)),
        ),
      ];
    }
    if (step === 'update') {
      return [
        el('p', {}, m.updateStep(fmt(ETA, 1)), el('span', { class: 'formula' }, "w' = w − η∇w")),
        ...weights4.map((p, i) =>
          el(
            'p',
            { class: 'bp-update', 'data-node': key.get(p)![0] },
            el(
              'span',
              { class: 'formula' },
              `${key.get(p)![1]}' = ${list(num(p))} − ${fmt(ETA, 1)} × ${list(num(p, 'grad'))} = ${list(updated[i]!)}`,
            ),
          ),
        ),
        el(
          'p',
          {},
          m.lossBeforeAfter,
          el('strong', { id: 'bp-loss-before' }, fmt(lossBefore, 4)),
          ' → ',
          el('strong', { id: 'bp-loss-after' }, fmt(lossAfter, 4)),
          last ? m.done : '',
        ),
      ];
    }
    const [, sym] = key.get(step.v)!;
    if (!step.from) return [el('p', { class: 'bp-head' }, m.first)];
    const [, up] = key.get(step.from)!;
    const local = step.terms.map(([, , b]) => b);
    return [
      el('p', { class: 'bp-head' }, m.node(sym, step.from.name!)),
      el('p', {}, m.local, el('span', { class: 'formula', id: 'bp-local' }, `${step.formula} = ${list(local)}`)),
      el('p', {}, m.arriving(up), el('span', { class: 'formula', id: 'bp-upstream' }, `∂L/∂${up} = ${list(num(step.from, 'grad'))}`)),
      el('p', {}, m.product),
      el(
        'ul',
        { class: 'bp-terms', id: 'bp-product', 'data-node': key.get(step.v)![0] },
        ...step.terms.map(([name, a, b], k) =>
          el('li', { class: 'bp-term formula' }, `${name} = `, n(a), ' × ', n(b), ' = ', n(num(step.v, 'grad')[k]!, 'num bp-grad')),
        ),
      ),
    ];
  };
  /** Keeps the focus on "Next step" at the end: a disabled button would drop it to the page. */
  const setNext = (on: boolean) => {
    if (on) next.removeAttribute('aria-disabled');
    else next.setAttribute('aria-disabled', 'true');
  };
  const stepTo = (i: number) => {
    for (const b of boxes.values()) b.classList.remove('active');
    at = i;
    setNext(i < walk.length - 1);
    live(counter, () => [t().bp.counter(i + 1, walk.length)]);
    revealed.clear();
    for (const s of walk.slice(0, i + 1)) if (typeof s !== 'string') revealed.add(s.v);
    drawGraph();
    if (i < 0) return;
    const step = walk[i]!;
    const last = i === walk.length - 1;
    // a node's own step marks it; the check and the update mark every weight
    const marked = typeof step === 'string' ? [...weights4] : [step.v];
    for (const v of marked) boxes.get(v)?.classList.add('active');
    const v = nodes.find((u) => marked.includes(u));
    if (v) {
      // keep the (first) active node in view when the graph is wider than the screen
      const [x0] = pos.get(v)!;
      const scale = svg.getBoundingClientRect().width / width || 1;
      const left = x0 * scale - (scroller.clientWidth - W * scale) / 2;
      scroller.scrollTo({ left: Math.max(0, left) });
    }
    live(explain, () => render(step, last));
    if (last) explain.setAttribute('data-done', 'true');
    else explain.removeAttribute('data-done');
  };
  next.addEventListener('click', () => {
    if (next.getAttribute('aria-disabled') !== 'true') stepTo(Math.min(walk.length - 1, at + 1));
  });
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
    const step = walk[at];
    if (step) for (const v of typeof step === 'string' ? weights4 : [step.v]) boxes.get(v)?.classList.add('active');
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
