// How the packages meet where a user joins them: a model's to() and an optimizer built before it.
import { mlp } from '@gd/nn';
import { Adam, SGD } from '@gd/optim';
import { DisposedError, manualSeed } from '@gd/tensor';
import { describe, expect, it } from 'vitest';

describe('model.to() and an optimizer built on the old parameters', () => {
  it("step() says the parameters were replaced by to() and what to do, not just 'disposed'", () => {
    manualSeed(3);
    const model = mlp([2, 3, 1]);
    for (const opt of [new SGD(model, { lr: 0.1 }), new Adam(model)]) {
      const old = opt;
      model.to(model.dtype === 'float32' ? 'float64' : 'float32');
      let e: unknown;
      try {
        old.step();
      } catch (caught) {
        e = caught;
      }
      expect(e).toBeInstanceOf(DisposedError);
      expect((e as Error).message).toMatch(
        /parameter 0 \('?.*is no longer the model's: Sequential\.to\('float(64|32)'\) replaced it by a new float(64|32) parameter; build the optimizer after to\(\)/,
      );
    }
    // an optimizer built after to() steps
    const opt = new SGD(model, { lr: 0.1 });
    expect(() => opt.step()).not.toThrow();
    model.dispose();
  });
});
