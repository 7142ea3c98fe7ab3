import { describe, expect, it } from 'vitest';
import { SplitGovernor } from '../src/threads.js';

// A split whose caller part took 1 ms over 2 parts: slow when the whole took over 2 ms.
const slow = (g: SplitGovernor, now: number) => g.record(now, 1, 2.5, 2);
const good = (g: SplitGovernor, now: number) => g.record(now, 1, 2, 2);

describe('SplitGovernor: when splitting a product stops paying', () => {
  it('pauses splitting for 10 ms once 8 of the last 32 splits took longer than one thread would', () => {
    const g = new SplitGovernor();
    expect(g.allows(0)).toBe(true);
    for (let i = 0; i < 7; i++) slow(g, 0);
    // exactly as long as one thread (2 × 1 ms) is not slow
    good(g, 0);
    expect(g.allows(0)).toBe(true);
    slow(g, 5);
    expect(g.state(5)).toEqual({ pauseMs: 10, paused: true });
    expect(g.allows(14.9)).toBe(false);
    expect(g.allows(15)).toBe(true);
  });

  it('counts only the last 32 splits: one slow split in 5 never pauses, one in 4 does', () => {
    const every = (n: number) => {
      const g = new SplitGovernor();
      for (let i = 0; i < 400; i++) {
        if (i % n === 0) slow(g, i);
        else good(g, i);
        if (!g.allows(i)) return i;
      }
      return -1;
    };
    expect(every(5)).toBe(-1);
    // slow at 0, 4, …, 28: the eighth slow split is the 29th
    expect(every(4)).toBe(28);
  });

  it('doubles the pause while the load returns within a second of the last pause, to at most 1 s, and starts over after', () => {
    const g = new SplitGovernor();
    let now = 0;
    const pauses: number[] = [];
    for (let k = 0; k < 9; k++) {
      for (let i = 0; i < 8; i++) slow(g, now);
      pauses.push(g.state(now).pauseMs);
      now += g.state(now).pauseMs + 100; // the pause ends, and the load is found again 100 ms later
    }
    expect(pauses).toEqual([10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    now += 2000;
    for (let i = 0; i < 8; i++) slow(g, now);
    expect(g.state(now).pauseMs).toBe(10);
  });

  it('a product taken back from a worker that never claimed it (the caller ran both parts) is slow', () => {
    const g = new SplitGovernor();
    for (let i = 0; i < 8; i++) g.record(i, 1, 2.01, 2);
    expect(g.allows(8)).toBe(false);
  });
});
