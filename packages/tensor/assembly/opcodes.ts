// Operation codes shared by the kernels and the TypeScript binding. This file is the single
// source: the build script reads the `export const NAME: i32 = N;` lines and generates the
// TypeScript constants from them. `@int32` in a line's comment says the op also has an int32
// kernel (the TypeScript side then keeps int32 operands int32 instead of promoting to float32).

// Unary elementwise (ew_unary_*): out = f(x; p0, p1)
export const UN_NEG: i32 = 0; // @int32
export const UN_ABS: i32 = 1; // @int32
export const UN_SQRT: i32 = 2;
export const UN_EXP: i32 = 3;
export const UN_LOG: i32 = 4;
export const UN_SQUARE: i32 = 5; // @int32
export const UN_RELU: i32 = 6; // @int32
export const UN_SIGMOID: i32 = 7;
export const UN_TANH: i32 = 8;
export const UN_CLAMP: i32 = 9; // min(max(x, p0), p1) @int32
export const UN_POW_SCALAR: i32 = 10; // x ** p0
export const UN_AFFINE: i32 = 11; // x * p0 + p1
export const UN_SIGN: i32 = 12; // @int32
export const UN_RECIPROCAL: i32 = 13;
export const UN_RPOW_SCALAR: i32 = 14; // p0 ** x
export const UN_LEAKY_RELU: i32 = 15; // x > 0 ? x : p0 * x
export const UN_GELU: i32 = 16; // tanh approximation

// Binary elementwise with broadcasting (bc_binary_*): out = f(a, b)
export const BIN_ADD: i32 = 0; // @int32
export const BIN_SUB: i32 = 1; // @int32
export const BIN_MUL: i32 = 2; // @int32
export const BIN_DIV: i32 = 3;
export const BIN_POW: i32 = 4;
export const BIN_MAX: i32 = 5; // @int32
export const BIN_MIN: i32 = 6; // @int32
// gradient helpers: a = upstream gradient dy, b = the saved forward input or output
export const BIN_RELU_GRAD: i32 = 7; // b > 0 ? a : 0            (b = x)
export const BIN_SIGMOID_GRAD: i32 = 8; // a * b * (1 - b)       (b = sigmoid(x))
export const BIN_TANH_GRAD: i32 = 9; // a * (1 - b * b)          (b = tanh(x))
export const BIN_GELU_GRAD: i32 = 10; // a * gelu'(b)            (b = x)

// Comparisons with broadcasting (bc_compare_*): out (int32) = a ? b ? 1 : 0
export const CMP_EQ: i32 = 0;
export const CMP_NE: i32 = 1;
export const CMP_GT: i32 = 2;
export const CMP_GE: i32 = 3;
export const CMP_LT: i32 = 4;
export const CMP_LE: i32 = 5;

// Reductions over one axis of a [outer, len, inner] view (reduce_*)
export const RED_SUM: i32 = 0;
export const RED_MAX: i32 = 1;
export const RED_MIN: i32 = 2;
export const RED_ARGMAX: i32 = 3;
export const RED_ARGMIN: i32 = 4;

// Softmax family over one axis of a [outer, len, inner] view (softmax_*)
export const SM_SOFTMAX: i32 = 0;
export const SM_LOG_SOFTMAX: i32 = 1;
export const SM_LOGSUMEXP: i32 = 2;
