// The tensor-level helpers the lessons use, gathered in one place.
import { noGrad } from '@gd/autograd';
import { scope } from '@gd/tensor';

export { argmax, eq, keep, manualSeed, randn, scope, type Tensor, tensor } from '@gd/tensor';

/** scope() and noGrad() together: evaluation without a graph, temporaries freed. */
export function noGradScope<T>(fn: () => T): T {
  return noGrad(() => scope(fn));
}
