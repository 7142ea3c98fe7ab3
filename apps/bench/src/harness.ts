// Timing: each sample repeats a run until `minMs` has passed and reports the mean time per run;
// peers alternate round by round so drift in the machine hits them alike.

/** One peer's run of a workload: `run` does the work and reads the result back to JS. */
export interface Instance {
  run(): void;
  dispose(): void;
}

/** Milliseconds per run, averaged over as many runs as fit in `minMs` (after one warm-up run). */
export function sample(run: () => void, minMs: number): number {
  run();
  let reps = 0;
  const t0 = performance.now();
  do {
    run();
    reps++;
  } while (performance.now() - t0 < minMs);
  return (performance.now() - t0) / reps;
}

/** Median, min and max of a list of numbers. */
export interface Stats {
  median: number;
  min: number;
  max: number;
}

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}
