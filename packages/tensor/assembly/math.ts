// Scalar math written once for every float type: the float32 instantiation calls Mathf, a float64
// one would call Math. Integer types never reach these (their ops are chosen in the dispatchers).

@inline export function fexp<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.exp(<f64>x) : <T>Mathf.exp(<f32>x);
}

@inline export function flog<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.log(<f64>x) : <T>Mathf.log(<f32>x);
}

@inline export function ftanh<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.tanh(<f64>x) : <T>Mathf.tanh(<f32>x);
}

@inline export function fpow<T>(x: T, y: T): T {
  return sizeof<T>() == 8 ? <T>Math.pow(<f64>x, <f64>y) : <T>Mathf.pow(<f32>x, <f32>y);
}

// Dispatchers end in `default: abort()` (the host throws) rather than `unreachable()`: a trapping
// default lets the optimizer treat the codes as exhaustive and fold the per-op loops into one loop
// that switches on the code for every element, several times slower.

/** Traps when instantiated for an integer type: the op has no integer kernel. */
@inline export function floatOnly<T>(): void {
  if (!isFloat<T>()) unreachable();
}

// sqrt(2/pi), for GELU's tanh form
@inline function geluC<T>(): T {
  return <T>0.7978845608028654;
}

@inline export function geluScalar<T>(x: T): T {
  return <T>0.5 * x * (<T>1 + ftanh<T>(geluC<T>() * (x + <T>0.044715 * x * x * x)));
}

// d/dx gelu(x) = 0.5(1 + t) + 0.5 x (1 - t^2) c (1 + 3·0.044715 x^2), t = tanh(c(x + 0.044715 x^3))
@inline export function geluGradScalar<T>(x: T): T {
  const t = ftanh<T>(geluC<T>() * (x + <T>0.044715 * x * x * x));
  return <T>0.5 * (<T>1 + t) + <T>0.5 * x * (<T>1 - t * t) * geluC<T>() * (<T>1 + <T>0.134145 * x * x);
}
