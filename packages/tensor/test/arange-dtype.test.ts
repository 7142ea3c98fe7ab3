// arange takes { dtype } like the other creators (torch.arange(n, dtype=…)), after any count of numbers.
import { describe, expect, it } from 'vitest';
import { arange, DTypeError, ValueError } from '../src/index.js';

describe('arange with { dtype }', () => {
  it('takes { dtype } or a dtype after stop, (start, stop) or (start, stop, step)', () => {
    const cases: Array<[ReturnType<typeof arange>, string, number[]]> = [
      [arange(3, { dtype: 'float64' }), 'float64', [0, 1, 2]],
      [arange(3, 'float32'), 'float32', [0, 1, 2]],
      [arange(2, 5, { dtype: 'float32' }), 'float32', [2, 3, 4]],
      [arange(0, 1, 0.25, { dtype: 'float64' }), 'float64', [0, 0.25, 0.5, 0.75]],
      [arange(0, 6, 2, 'int32'), 'int32', [0, 2, 4]],
      [arange(0, 1, 0.1, { dtype: 'float64' }), 'float64', Array.from({ length: 10 }, (_, i) => i * 0.1)],
      [arange(4), 'int32', [0, 1, 2, 3]],
      [arange(0, 1, 0.5), 'float32', [0, 0.5]],
      [arange(3, {}), 'float32', [0, 1, 2]],
    ];
    for (const [t, dtype, values] of cases) {
      expect(t.dtype).toBe(dtype);
      expect(Array.from(t.data())).toEqual(values);
      t.dispose();
    }
  });

  it('rejects a bad dtype and a dtype before the numbers end', () => {
    expect(() => arange(3, { dtype: 'int8' as never })).toThrow(DTypeError);
    expect(() => arange(3, { dtype: 'int8' as never })).toThrow('arange: dtype int8 is not float32, float64 or int32');
    expect(() => arange(0, { dtype: 'float32' } as never, 2)).toThrow(ValueError);
    expect(() => arange(0, { dtype: 'float32' } as never, 2)).toThrow(
      'arange: argument 2 is object; expected numbers (start, stop, step), then optionally { dtype }',
    );
  });
});
