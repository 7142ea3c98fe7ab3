// Its own file (a fresh process): here the kernels start on a plain memory first.
import { expect, it } from 'vitest';
import { ready, StateError, tensor } from '../src/index.js';

it('threads cannot be added once ops ran on a plain (unshared) memory', async () => {
  expect(tensor([1, 2]).sum().item()).toBe(3);
  await expect(ready({ threads: 2 })).rejects.toThrow(StateError);
  await expect(ready({ threads: 2 })).rejects.toThrow(/before the first op/);
});
