// Lesson 5 (seed §2.5): backpropagation through a small network, node by node.
import { gradcheck, topologicalOrder, type Variable, variable } from '@gd/autograd';
import { mse } from '@gd/losses';
import { keep, tensor } from '@gd/tensor';
import { el, fmt, section, show } from '../ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const values = (t: { data(): ArrayLike<number> } | null) => (t ? Array.from(t.data(), (v) => fmt(v, 3)).join(', ') : '—');

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
    '5. Backpropagation',
    el(
      'p',
      {},
      'A network is one function of all its weights. Backpropagation applies the chain rule ',
      el('span', { class: 'formula' }, 'dz/dx = dz/dy · dy/dx'),
      ' from the loss back to every weight, each node passing ∂L/∂(its input) to the nodes it was computed from.',
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
  // depth: longest path from the inputs
  const depth = new Map<Variable, number>();
  const depthOf = (v: Variable): number => {
    if (!depth.has(v)) depth.set(v, v.parents.length === 0 ? 0 : 1 + Math.max(...v.parents.map(depthOf)));
    return depth.get(v)!;
  };
  const named = (v: Variable): Variable[] => (v.name !== undefined ? [v] : v.parents.flatMap(named));
  const columns = new Map<number, Variable[]>();
  for (const v of nodes) {
    const d = depthOf(v);
    columns.set(d, [...(columns.get(d) ?? []), v]);
  }
  const depths = [...columns.keys()].sort((a, b) => a - b);
  const W = 190;
  const H = 70;
  const pos = new Map<Variable, [number, number]>();
  for (const [ci, d] of depths.entries()) {
    for (const [ri, v] of columns.get(d)!.entries()) pos.set(v, [10 + ci * (W + 30), 10 + ri * (H + 20)]);
  }
  const width = 10 + depths.length * (W + 30);
  const height = 10 + Math.max(...[...columns.values()].map((c) => c.length)) * (H + 20);
  const svg = svgEl('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'computation graph with values and gradients',
  }) as SVGSVGElement;
  for (const v of nodes) {
    for (const p of v.parents.flatMap(named)) {
      const [x1, y1] = pos.get(p)!;
      const [x2, y2] = pos.get(v)!;
      svg.append(svgEl('line', { x1: x1 + W, y1: y1 + H / 2, x2, y2: y2 + H / 2, stroke: '#8c99a8' }));
    }
  }
  const boxes = new Map<Variable, SVGElement>();
  for (const v of nodes) {
    const [x0, y0] = pos.get(v)!;
    const g = svgEl('g', { class: 'graph-node', transform: `translate(${x0},${y0})` });
    g.append(svgEl('rect', { width: W, height: H, rx: 6 }));
    g.append(svgEl('text', { x: 8, y: 17, 'font-weight': 'bold' }, v.name!));
    g.append(svgEl('text', { x: 8, y: 37 }, `value [${values(v.value)}]`));
    g.append(svgEl('text', { x: 8, y: 57, fill: '#b3261e' }, `grad  [${v.requiresGrad ? values(v.grad) : 'constant'}]`));
    svg.append(g);
    boxes.set(v, g);
  }
  const steps = [...order].reverse().filter((v) => v.name !== undefined);
  const extra = [W1, b1, W2, b2];
  const walk = [...steps, ...extra.filter((p) => !steps.includes(p))];
  let at = -1;
  const explain = el(
    'p',
    { class: 'readout', id: 'bp-step', 'aria-live': 'polite' },
    'Press “Next step” to walk the chain rule from the loss back to the weights.',
  );
  const next = el('button', { id: 'bp-next', type: 'button' }, 'Next step');
  const reset = el('button', { class: 'secondary', type: 'button' }, 'Start over');
  const stepTo = (i: number) => {
    for (const b of boxes.values()) b.classList.remove('active');
    at = i;
    if (i < 0) return;
    const v = walk[i]!;
    boxes.get(v)?.classList.add('active');
    const users = nodes.filter((u) => u.parents.flatMap(named).includes(v)).map((u) => u.name);
    explain.textContent =
      i === 0
        ? `∂L/∂L = 1: the walk starts at the loss.`
        : `∂L/∂(${v.name}) = [${values(v.grad)}] — the chain rule through ${users.join(' and ')}: ∂L/∂(that node) times ∂(that node)/∂(${v.name}).`;
  };
  next.addEventListener('click', () => stepTo(Math.min(walk.length - 1, at + 1)));
  reset.addEventListener('click', () => {
    stepTo(-1);
    explain.textContent = 'Press “Next step” to walk the chain rule from the loss back to the weights.';
  });
  const check = gradcheck((w1, c1, w2, c2) => forward(w1!, c1!, w2!, c2!).loss, [W1.value, b1.value, W2.value, b2.value]);
  const out = el('div', {});
  s.append(out);
  show(
    out,
    el('div', { class: 'controls' }, next, reset),
    explain,
    el('div', { style: 'overflow-x: auto' }, svg),
    el(
      'p',
      { class: 'readout' },
      'gradcheck (analytic gradient against central finite differences): ',
      el('strong', { id: 'bp-gradcheck' }, check.ok ? 'ok' : 'FAILED'),
      ` · max relative error ${check.maxRelError.toExponential(2)} over ${check.checked} weights`,
    ),
  );
}
