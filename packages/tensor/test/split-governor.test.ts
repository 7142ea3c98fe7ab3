import { describe, expect, it } from 'vitest';
import { SplitGovernor } from '../src/threads.js';

// A split whose caller part took 1 ms over 2 parts: slow when the whole took over 2 ms and 50 µs.
const slow = (g: SplitGovernor, now: number) => g.record(now, 1, 2.5, 2);
const good = (g: SplitGovernor, now: number) => g.record(now, 1, 2.05, 2);

describe('SplitGovernor: when splitting a product stops paying', () => {
  it('pauses splitting for 10 ms once 16 of the last 32 splits took longer than one thread would', () => {
    const g = new SplitGovernor();
    expect(g.allows(0)).toBe(true);
    for (let i = 0; i < 15; i++) slow(g, 0);
    // as long as one thread (2 × 1 ms) and the clock's margin is not slow
    good(g, 0);
    expect(g.allows(0)).toBe(true);
    slow(g, 5);
    expect(g.state(5)).toEqual({ pauseMs: 10, paused: true });
    expect(g.allows(14.9)).toBe(false);
    expect(g.allows(15)).toBe(true);
  });

  it('counts only the last 32 splits: one slow split in 3 never pauses, one in 2 does', () => {
    const every = (n: number) => {
      const g = new SplitGovernor();
      for (let i = 0; i < 400; i++) {
        if (i % n === 0) slow(g, i);
        else good(g, i);
        if (!g.allows(i)) return i;
      }
      return -1;
    };
    expect(every(3)).toBe(-1);
    // slow at 0, 2, …, 30: the sixteenth slow split is the 31st
    expect(every(2)).toBe(30);
  });

  it('doubles the pause while the load returns within a second of the last pause, to at most 1 s, and starts over after', () => {
    const g = new SplitGovernor();
    let now = 0;
    const pauses: number[] = [];
    for (let k = 0; k < 9; k++) {
      for (let i = 0; i < 16; i++) slow(g, now);
      pauses.push(g.state(now).pauseMs);
      now += g.state(now).pauseMs + 100; // the pause ends, and the load is found again 100 ms later
    }
    expect(pauses).toEqual([10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    now += 2000;
    for (let i = 0; i < 16; i++) slow(g, now);
    expect(g.state(now).pauseMs).toBe(10);
  });

  it('a product 60 µs slower than one thread is slow, and so is one whose worker part the caller ran', () => {
    const late = new SplitGovernor();
    // the caller's part took 0.4 ms, then waiting for the worker's 0.46 ms more
    for (let i = 0; i < 16; i++) late.record(i, 0.4, 0.86, 2);
    expect(late.allows(16)).toBe(false);
    const back = new SplitGovernor();
    // no worker claimed its part: the caller ran both, as fast as one thread
    for (let i = 0; i < 15; i++) back.record(i, 0.4, 0.8, 2, 1);
    expect(back.allows(15)).toBe(true);
    back.record(15, 0.4, 0.8, 2, 1);
    expect(back.allows(16)).toBe(false);
    expect(back.pauses).toBe(1);
    // a part left unclaimed during a caller's part of 40 µs says nothing: a worker's poll can miss that
    const short = new SplitGovernor();
    for (let i = 0; i < 32; i++) short.record(i, 0.04, 0.08, 2, 1);
    expect(short.pauses).toBe(0);
  });

  // parts, and the taken-back worker parts after which a split still pays (the caller ran its part
  // and those, as fast as the split took) and after which it does not
  it.each([
    [3, 1, 2],
    [4, 1, 2],
    [5, 2, 3],
  ])('on %i threads, %i taken-back worker parts still pay and %i do not', (parts, pays, not) => {
    const ok = new SplitGovernor();
    for (let i = 0; i < 32; i++) ok.record(i, 0.1, 0.1 * (1 + pays), parts, pays);
    expect(ok.pauses).toBe(0);
    const bad = new SplitGovernor();
    for (let i = 0; i < 16; i++) bad.record(i, 0.1, 0.1 * (1 + not), parts, not);
    expect(bad.pauses).toBe(1);
  });

  it('reset forgets the slow splits and ends a pause', () => {
    const g = new SplitGovernor();
    for (let i = 0; i < 16; i++) slow(g, 0);
    expect(g.allows(1)).toBe(false);
    g.reset();
    expect(g.allows(1)).toBe(true);
    expect(g.pauses).toBe(0);
    for (let i = 0; i < 15; i++) slow(g, 1);
    expect(g.allows(1)).toBe(true);
  });
});
