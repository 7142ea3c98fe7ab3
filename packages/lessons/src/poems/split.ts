// A seeded split of the poems into training and held-out ones. It is by poem, never by line, so
// no held-out line was seen in the same poem in training; a text that appears more than once in
// the corpus (178 of the five-character quatrains have a twin) is kept once, so that no held-out
// poem is also a training poem.
import { manualSeed, randperm, scope, ValueError } from '@gd/tensor';
import type { Quatrain } from './corpus.js';

/** Options of splitPoems. */
export interface SplitOptions {
  /** Seeds the permutation (manualSeed). */
  seed: number;
  /** Share of the distinct poems held out (default 0.1). */
  heldOut?: number;
  /** Texts held out on purpose, whatever the permutation says; they count towards the share. */
  holdOut?: readonly string[];
}

/** The two sides of a split, and how many repeated texts were dropped before it. */
export interface PoemSplit {
  train: Quatrain[];
  heldOut: Quatrain[];
  duplicates: number;
}

/**
 * Splits quatrains 90/10 (by default) by poem with a seeded permutation of the distinct texts:
 * the first ⌈share·n⌉ of the permutation, and every text of `holdOut`, are held out. Both sides
 * keep the corpus order.
 *
 * @example
 * ```ts
 * const { train, heldOut } = splitPoems(loadTangQuatrains(5), { seed: 42 });
 * ```
 */
export function splitPoems(quatrains: readonly Quatrain[], o: SplitOptions): PoemSplit {
  const share = o.heldOut ?? 0.1;
  if (!(share > 0 && share < 1)) throw new ValueError(`splitPoems: heldOut must be a share in (0, 1), got ${share}`);
  if (!Number.isInteger(o.seed)) throw new ValueError(`splitPoems: seed must be an integer, got ${o.seed}`);
  const seen = new Set<string>();
  const poems = quatrains.filter((q) => !seen.has(q.text) && seen.add(q.text));
  const forced = new Set(o.holdOut ?? []);
  for (const t of forced) if (!seen.has(t)) throw new ValueError(`splitPoems: holdOut text ${JSON.stringify(t)} is not in the corpus`);
  const n = poems.length;
  const target = Math.ceil(share * n);
  if (target >= n) throw new ValueError(`splitPoems: holding out ${target} of ${n} poems leaves none to train on`);
  manualSeed(o.seed);
  const order = scope(() => randperm(n).data());
  const held = new Set<number>(poems.flatMap((q, i) => (forced.has(q.text) ? [i] : [])));
  for (let k = 0; held.size < target && k < n; k++) held.add(order[k]!);
  return {
    train: poems.filter((_, i) => !held.has(i)),
    heldOut: poems.filter((_, i) => held.has(i)),
    duplicates: quatrains.length - n,
  };
}
