// Every op code of every kernel family is dispatched: each code, called straight on its kernel,
// matches a plain-JS reference, and a code no family knows aborts instead of leaving the output
// unwritten. A code added to assembly/*.ts without a reference here fails the first test.
import { describe, expect, it } from 'vitest';
import * as C from '../src/generated/opcodes.js';
import { tensor, zeros } from '../src/index.js';
import { kernels, META_PTR, writePlan } from '../src/runtime.js';
import { close } from './families.js';
import * as R from './reference.js';

const geluTanhGrad = (x: number) => {
  const c = Math.sqrt(2 / Math.PI);
  const t = Math.tanh(c * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
};
const P0 = 0.5;
const P1 = 2;
const unaryRef: Record<string, (x: number) => number> = {
  UN_NEG: (x) => -x,
  UN_ABS: Math.abs,
  UN_SQRT: Math.sqrt,
  UN_EXP: Math.exp,
  UN_LOG: Math.log,
  UN_SQUARE: (x) => x * x,
  UN_RELU: (x) => Math.max(x, 0),
  UN_SIGMOID: (x) => 1 / (1 + Math.exp(-x)),
  UN_TANH: Math.tanh,
  UN_CLAMP: (x) => Math.min(Math.max(x, P0), P1),
  UN_POW_SCALAR: (x) => x ** P0,
  UN_AFFINE: (x) => x * P0 + P1,
  UN_SIGN: Math.sign,
  UN_RECIPROCAL: (x) => 1 / x,
  UN_RPOW_SCALAR: (x) => P0 ** x,
  UN_LEAKY_RELU: (x) => (x > 0 ? x : P0 * x),
  UN_GELU_TANH: R.geluTanh,
  UN_SIN: Math.sin,
  UN_COS: Math.cos,
  UN_TAN: Math.tan,
  UN_ERF: R.erf,
  UN_GELU: R.gelu,
  UN_LOG1P: Math.log1p,
  UN_EXPM1: Math.expm1,
  UN_LOG_SIGMOID: (x) => -Math.log1p(Math.exp(-x)),
};
const binaryRef: Record<string, (a: number, b: number) => number> = {
  BIN_ADD: (a, b) => a + b,
  BIN_SUB: (a, b) => a - b,
  BIN_MUL: (a, b) => a * b,
  BIN_DIV: (a, b) => Math.fround(a) / Math.fround(b),
  BIN_POW: (a, b) => Math.abs(a) ** b,
  BIN_MAX: Math.max,
  BIN_MIN: Math.min,
  BIN_RELU_GRAD: (a, b) => (b > 0 ? a : 0),
  BIN_SIGMOID_GRAD: (a, b) => a * b * (1 - b),
  BIN_TANH_GRAD: (a, b) => a * (1 - b * b),
  BIN_GELU_TANH_GRAD: (a, b) => a * geluTanhGrad(b),
  // Φ(b) + b·φ(b)
  BIN_GELU_GRAD: (a, b) => a * ((1 + R.erf(b / Math.SQRT2)) / 2 + (b * Math.exp((-b * b) / 2)) / Math.sqrt(2 * Math.PI)),
};
const compareRef: Record<string, (a: number, b: number) => boolean> = {
  CMP_EQ: (a, b) => a === b,
  CMP_NE: (a, b) => a !== b,
  CMP_GT: (a, b) => a > b,
  CMP_GE: (a, b) => a >= b,
  CMP_LT: (a, b) => a < b,
  CMP_LE: (a, b) => a <= b,
};
const reduceRef: Record<string, (xs: number[]) => number> = {
  RED_SUM: (xs) => xs.reduce((s, v) => s + v, 0),
  RED_MAX: (xs) => Math.max(...xs),
  RED_MIN: (xs) => Math.min(...xs),
  RED_ARGMAX: (xs) => xs.indexOf(Math.max(...xs)),
  RED_ARGMIN: (xs) => xs.indexOf(Math.min(...xs)),
};
const softmaxRef: Record<string, (xs: number[]) => number[]> = {
  SM_SOFTMAX: (xs) => {
    const s = xs.reduce((a, v) => a + Math.exp(v), 0);
    return xs.map((v) => Math.exp(v) / s);
  },
  SM_LOG_SOFTMAX: (xs) => {
    const l = Math.log(xs.reduce((a, v) => a + Math.exp(v), 0));
    return xs.map((v) => v - l);
  },
  SM_LOGSUMEXP: (xs) => [Math.log(xs.reduce((a, v) => a + Math.exp(v), 0))],
};
const families = { UN_: unaryRef, BIN_: binaryRef, CMP_: compareRef, RED_: reduceRef, SM_: softmaxRef };
const codes = Object.entries(C).filter(([, v]) => typeof v === 'number') as Array<[string, number]>;

// 11 values: two f32x4 blocks and a tail of 3
const XS = [-3.5, -1, -0.25, 0, 0.3, 1, 2.5, 7, 0.1, 9, -0.6];
const YS = [2, -1, 0.5, 3, 0.3, -2, 1, 7, -0.1, 0.5, 4];
const IX = [-7, -1, 0, 2, 3, -3, 9, 4, 1, -2, 5];
const IY = [3, -1, 0, 5, 3, 2, -9, 4, -1, 1, 5];
const n = XS.length;

describe('every op code is dispatched by its kernel', () => {
  it('every op code in assembly/*.ts has a reference here', () => {
    for (const [name] of codes) {
      const family = Object.entries(families).find(([prefix]) => name.startsWith(prefix));
      expect(family, `${name} belongs to a family`).toBeDefined();
      expect(family![1][name], `${name} has a reference`).toBeDefined();
    }
  });

  for (const [name, code] of codes.filter(([k]) => k.startsWith('UN_'))) {
    it(`${name}: float32${C.INT_UNARY.has(code) ? ' and int32' : ''}`, () => {
      const f = unaryRef[name]!;
      const x = tensor(XS);
      const out = zeros([n]);
      kernels().ew_unary_f32(code, x.ptr('t'), out.ptr('t'), n, P0, P1);
      close(out.data(), XS.map(f), 2e-6);
      if (C.INT_UNARY.has(code)) {
        const xi = tensor(IX, { dtype: 'int32' });
        const oi = zeros([n], 'int32');
        kernels().ew_unary_i32(code, xi.ptr('t'), oi.ptr('t'), n, 1, 4);
        const fi = name === 'UN_CLAMP' ? (v: number) => Math.min(Math.max(v, 1), 4) : f;
        expect(Array.from(oi.data())).toEqual(IX.map((v) => fi(v) + 0));
      }
    });
  }

  for (const [name, code] of codes.filter(([k]) => k.startsWith('BIN_') || k.startsWith('CMP_'))) {
    const cmp = name.startsWith('CMP_');
    const ints = cmp || C.INT_BINARY.has(code);
    it(`${name}: float32${ints ? ' and int32' : ''}`, () => {
      const nd = () => writePlan({ shape: [n], strides: [[1], [1]] });
      const xs = name === 'BIN_POW' ? XS.map(Math.abs) : XS;
      const f = cmp ? (a: number, b: number) => (compareRef[name]!(a, b) ? 1 : 0) : binaryRef[name]!;
      const a = tensor(xs);
      const b = tensor(YS);
      const out = zeros([n], cmp ? 'int32' : 'float32');
      if (cmp) kernels().bc_compare_f32(code, a.ptr('t'), b.ptr('t'), out.ptr('t'), nd(), META_PTR);
      else kernels().bc_binary_f32(code, a.ptr('t'), b.ptr('t'), out.ptr('t'), nd(), META_PTR);
      close(
        out.data(),
        xs.map((v, i) => f(Math.fround(v), Math.fround(YS[i]!))),
        2e-6,
      );
      if (ints) {
        const ai = tensor(IX, { dtype: 'int32' });
        const bi = tensor(IY, { dtype: 'int32' });
        const oi = zeros([n], 'int32');
        if (cmp) kernels().bc_compare_i32(code, ai.ptr('t'), bi.ptr('t'), oi.ptr('t'), nd(), META_PTR);
        else kernels().bc_binary_i32(code, ai.ptr('t'), bi.ptr('t'), oi.ptr('t'), nd(), META_PTR);
        expect(Array.from(oi.data())).toEqual(IX.map((v, i) => f(v, IY[i]!) + 0));
      }
    });
  }

  for (const [name, code] of codes.filter(([k]) => k.startsWith('RED_'))) {
    it(`${name}: float32 and int32`, () => {
      const arg = name.includes('ARG');
      const f = reduceRef[name]!;
      const x = tensor(XS);
      const xi = tensor(IX, { dtype: 'int32' });
      const out = zeros([1], arg ? 'int32' : 'float32');
      const oi = zeros([1], 'int32');
      if (arg) {
        kernels().reduce_arg_f32(code, x.ptr('t'), out.ptr('t'), 1, n, 1);
        kernels().reduce_arg_i32(code, xi.ptr('t'), oi.ptr('t'), 1, n, 1);
      } else {
        const status = zeros([2], 'float64');
        kernels().reduce_f32(code, x.ptr('t'), out.ptr('t'), 1, n, 1, 1, 0);
        kernels().reduce_i32(code, xi.ptr('t'), oi.ptr('t'), 1, n, 1, 0, status.ptr('t'));
      }
      close(out.data(), [f(XS.map(Math.fround))], 1e-6);
      expect(oi.item()).toBe(f(IX));
    });
  }

  for (const [name, code] of codes.filter(([k]) => k.startsWith('SM_'))) {
    it(`${name}: forward${name === 'SM_LOGSUMEXP' ? '' : ' and backward'}`, () => {
      const want = softmaxRef[name]!(XS);
      const x = tensor(XS);
      const out = zeros([want.length]);
      kernels().softmax_f32(code, x.ptr('t'), out.ptr('t'), 1, n, 1);
      close(out.data(), want, 2e-6);
      if (name !== 'SM_LOGSUMEXP') {
        const dy = tensor(YS);
        const dx = zeros([n]);
        kernels().softmax_backward_f32(code, out.ptr('t'), dy.ptr('t'), dx.ptr('t'), 1, n, 1);
        const s = softmaxRef.SM_SOFTMAX!(XS);
        const dot = YS.reduce((a, v, i) => a + v * s[i]!, 0);
        const sum = YS.reduce((a, v) => a + v, 0);
        const ref = name === 'SM_SOFTMAX' ? s.map((p, i) => p * (YS[i]! - dot)) : YS.map((v, i) => v - s[i]! * sum);
        close(dx.data(), ref, 1e-5);
      }
    });
  }

  it('a code no family knows traps in every dispatcher', () => {
    const x = tensor(XS);
    const y = tensor(YS);
    const o = zeros([n]);
    const K = kernels();
    const nd = () => writePlan({ shape: [n], strides: [[1], [1]] });
    const calls: Array<() => void> = [
      () => K.ew_unary_f32(99, x.ptr('t'), o.ptr('t'), n, 0, 0),
      () => K.ew_unary_i32(C.UN_EXP, x.ptr('t'), o.ptr('t'), n, 0, 0),
      () => K.bc_binary_f32(99, x.ptr('t'), y.ptr('t'), o.ptr('t'), nd(), META_PTR),
      () => K.bc_binary_i32(C.BIN_DIV, x.ptr('t'), y.ptr('t'), o.ptr('t'), nd(), META_PTR),
      () => K.bc_compare_f32(99, x.ptr('t'), y.ptr('t'), o.ptr('t'), nd(), META_PTR),
      () => K.bc_compare_i32(99, x.ptr('t'), y.ptr('t'), o.ptr('t'), nd(), META_PTR),
      () => K.reduce_f32(C.RED_ARGMAX, x.ptr('t'), o.ptr('t'), 1, n, 1, 1, 0),
      () => K.reduce_i32(99, x.ptr('t'), o.ptr('t'), 1, n, 1, 0, 0),
      () => K.reduce_arg_f32(C.RED_SUM, x.ptr('t'), o.ptr('t'), 1, n, 1),
      () => K.reduce_arg_i32(99, x.ptr('t'), o.ptr('t'), 1, n, 1),
      () => K.softmax_f32(99, x.ptr('t'), o.ptr('t'), 1, n, 1),
      () => K.softmax_backward_f32(C.SM_LOGSUMEXP, x.ptr('t'), y.ptr('t'), o.ptr('t'), 1, n, 1),
    ];
    for (const call of calls) expect(call).toThrow(/unreachable|kernel abort/);
  });
});
