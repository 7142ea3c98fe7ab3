// Fuzzing the autograd engine: random chains of differentiable ops on random shapes (broadcast
// operands, views from transpose/slice/reshape, reductions) must have analytic gradients that
// agree with central differences, and a forward + backward outside any scope must leave alive
// exactly the inputs, the output and the gradients. Replay a failure with FUZZ_SEED=<seed>
// (fast-check prints it with the failing path); widen a run with FUZZ_RUNS=<n>.
import { manualSeed, memory, randn, scope, type Tensor } from '@gd/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, type Variable, variable } from '../src/index.js';

const seed = process.env.FUZZ_SEED === undefined ? 20261125 : Number(process.env.FUZZ_SEED);
const numRuns = process.env.FUZZ_RUNS === undefined ? 60 : Number(process.env.FUZZ_RUNS);

interface Step {
  op: number;
  a: number;
  b: number;
}

/** Smooth ops only (no kinks or poles), so finite differences are meaningful. */
const OPS = [
  'tanh',
  'sigmoid',
  'mulOther',
  'addOther',
  'transpose',
  'flatten',
  'sum',
  'mean',
  'softmax',
  'slice',
  'logSumExp',
  'squareTanh',
] as const;

/**
 * Applies one step to `x`; `other` makes a broadcastable operand of the given shape. Returns x
 * itself when the step does not apply to this shape.
 */
function apply(step: Step, x: Variable, other: (shape: number[]) => Variable): Variable {
  const name = OPS[step.op % OPS.length]!;
  const shape = x.shape as number[];
  const rank = shape.length;
  const axis = rank === 0 ? 0 : step.a % rank;
  switch (name) {
    case 'tanh':
      return x.tanh();
    case 'sigmoid':
      return x.sigmoid();
    case 'squareTanh':
      return x.square().tanh();
    case 'mulOther':
    case 'addOther': {
      const o = other(shape.slice(step.b % (rank + 1)).map((d, i) => ((step.a >> i) & 1 ? 1 : d)));
      return name === 'mulOther' ? x.mul(o) : o.add(x);
    }
    case 'transpose':
      return rank < 2 ? x : x.transpose();
    case 'flatten':
      return x.flatten();
    case 'sum':
      return rank === 0 ? x : x.sum(axis, (step.b & 1) === 1);
    case 'mean':
      return rank === 0 || shape[axis] === 0 ? x : x.mean(axis, (step.b & 1) === 1);
    case 'softmax':
      return rank === 0 ? x : x.softmax(axis - rank);
    case 'logSumExp':
      return rank === 0 || shape[axis] === 0 ? x : x.logSumExp(axis, (step.b & 1) === 1);
    case 'slice': {
      if (rank === 0) return x;
      const begin = shape.map((d, i) => ((step.a >> i) & 1) % (d + 1));
      const size = shape.map((d, i) => d - begin[i]! - ((step.b >> i) & 1 && d - begin[i]! > 0 ? 1 : 0));
      return x.slice(begin, size);
    }
  }
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 3 });
const stepsArb = fc.array(fc.record({ op: fc.nat({ max: OPS.length - 1 }), a: fc.nat({ max: 63 }), b: fc.nat({ max: 63 }) }), {
  minLength: 1,
  maxLength: 5,
});

describe('fuzz: random differentiable chains', () => {
  it('analytic gradients match central differences', () => {
    fc.assert(
      fc.property(shapeArb, stepsArb, fc.nat({ max: 1000 }), (shape, steps, s) => {
        manualSeed(s);
        scope(() => {
          const others: Tensor[] = [];
          const f = (x: Variable, ...os: Variable[]) => {
            let k = 0;
            let y = x;
            for (const step of steps) y = apply(step, y, () => os[k++]!);
            return y.tanh().sum();
          };
          // draw the constant operands once, with the shapes the chain asks for
          manualSeed(s + 1);
          const probe = variable(randn(shape));
          let y = probe;
          for (const step of steps) {
            y = apply(step, y, (sh) => {
              const t = randn(sh);
              others.push(t);
              return variable(t);
            });
          }
          const r = gradcheck(f, [probe.value, ...others], { atol: 2e-3, rtol: 2e-2 });
          expect(r.ok, `${JSON.stringify(shape)} ${steps.map((st) => OPS[st.op]).join(' → ')}: ${JSON.stringify(r)}`).toBe(true);
        });
      }),
      { seed, numRuns, endOnFailure: true },
    );
  });

  it('backward outside any scope leaves exactly inputs + graph values + gradients alive', () => {
    fc.assert(
      fc.property(shapeArb, stepsArb, (shape, steps) => {
        const start = memory();
        let y = variable(randn(shape));
        for (const step of steps) y = apply(step, y, (sh) => variable(randn(sh)));
        const out = y.sum();
        // every value the graph holds: walk it from the output
        const nodes = new Set<Variable>();
        const stack: Variable[] = [out];
        while (stack.length > 0) {
          const v = stack.pop()!;
          if (nodes.has(v)) continue;
          nodes.add(v);
          stack.push(...v.parents);
        }
        const values = new Set([...nodes].map((v) => v.value));
        expect(memory().tensors - start.tensors, 'after forward').toBe(values.size);
        out.backward();
        const leaves = [...nodes].filter((v) => v.isLeaf && v.requiresGrad);
        expect(memory().tensors - start.tensors, 'after backward').toBe(values.size + leaves.length);
        for (const v of leaves) v.zeroGrad();
        for (const t of values) t.dispose();
        expect(memory().tensors).toBe(start.tensors);
        expect(memory().bytesInUse).toBe(start.bytesInUse);
      }),
      { seed, numRuns: numRuns * 3, endOnFailure: true },
    );
  });
});
