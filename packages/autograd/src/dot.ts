// toDot: the computation graph in Graphviz DOT, with shapes, small values and gradients.
import { checkOptions, type Tensor, ValueError } from '@gd/tensor';
import { Variable } from './variable.js';

/** Options of toDot. */
export interface DotOptions {
  /** Show values and gradients of tensors with at most this many elements. Default 6. */
  maxValues?: number;
  /** Digits after the decimal point. Default 4. */
  precision?: number;
}

function fmt(t: Tensor | null, max: number, precision: number): string {
  if (!t || t.isDisposed) return '';
  if (t.size > max) return `…${t.size} values`;
  return `[${Array.from(t.data(), (v) => Number(v).toFixed(precision)).join(', ')}]`;
}

function esc(s: string): string {
  return s.replace(/[\\"{}|<>]/g, (c) => `\\${c}`);
}

/**
 * Graphviz DOT of the graph that produced `output` (micrograd's draw_dot, for tensors): one
 * record per variable with its name or op, shape, value and gradient, and one small node per op.
 * Run backward({ retainGrads: true }) first to see gradients on intermediate nodes.
 *
 * @example
 * ```ts
 * const y = variable([1, 2], { name: 'x' }).square().sum();
 * y.backward();
 * console.log(toDot(y)); // digraph { … }
 * ```
 */
export function toDot(output: Variable, options: DotOptions = {}): string {
  if (!(output instanceof Variable)) throw new ValueError(`toDot: expected a Variable, got ${output === null ? 'null' : typeof output}`);
  options = checkOptions('toDot', options);
  const max = options.maxValues ?? 6;
  const precision = options.precision ?? 4;
  const ids = new Map<Variable, string>();
  const lines = ['digraph gd {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];'];
  const stack: Variable[] = [output];
  const order: Variable[] = [];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (ids.has(v)) continue;
    ids.set(v, `v${ids.size}`);
    order.push(v);
    for (const p of v.parents) stack.push(p);
  }
  for (const v of order) {
    const id = ids.get(v)!;
    const title = v.name ?? (v.isLeaf ? 'leaf' : v.op);
    const fields = [esc(title), `shape [${v.shape.join(',')}]`, `value ${esc(fmt(v.value, max, precision))}`];
    if (v.grad) fields.push(`grad ${esc(fmt(v.grad, max, precision))}`);
    lines.push(`  ${id} [shape=record, label="{ ${fields.join(' | ')} }"];`);
    if (v.parents.length > 0) {
      lines.push(`  ${id}_op [shape=ellipse, label="${esc(v.op)}"];`);
      lines.push(`  ${id}_op -> ${id};`);
      for (const p of v.parents) lines.push(`  ${ids.get(p)} -> ${id}_op;`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}
