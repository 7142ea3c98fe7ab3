// Its own file (a fresh process): the thread count is checked against the machine's parallelism.
import { availableParallelism } from 'node:os';
import { expect, it } from 'vitest';
import { ready, threadCount, ValueError } from '../src/index.js';

it('more threads than the machine runs at once is a ValueError naming the value and the cap', async () => {
  const cap = availableParallelism();
  await expect(ready({ threads: 1000 })).rejects.toThrow(ValueError);
  await expect(ready({ threads: cap + 1 })).rejects.toThrow(
    new RegExp(`ready: threads ${cap + 1} exceeds this machine's parallelism ${cap}`),
  );
  await expect(ready({ threads: 'many' as never })).rejects.toThrow(/threads must be a positive integer or 'auto', got many/);
});

it("threads: 'auto' starts one thread per core", async () => {
  await ready({ threads: 'auto' });
  expect(threadCount()).toBe(availableParallelism());
});
