// Timing: each sample repeats a run until `minMs` has passed and reports the mean time per run;
// peers alternate round by round so drift in the machine hits them alike, and gd/peer is taken
// within each round. Nothing here touches a library: the Node CLI and the browser page share it.

/** A peer's name: gd, TensorFlow.js on its wasm or cpu backend, jax-js on its wasm device. */
export type PeerName = 'gd' | 'tfjs-wasm' | 'tfjs-cpu' | 'jax-js';

/** The matmul sizes when `--sizes` is not given: the full run includes n = 1024. */
export const DEFAULT_SIZES = { quick: [64, 256, 512], full: [64, 128, 256, 512, 1024] } as const;

/** Every peer in table order. */
export const PEERS: readonly PeerName[] = ['gd', 'tfjs-wasm', 'tfjs-cpu', 'jax-js'];

/** The column heading of gd's ratio to a peer. */
export const RATIO_HEADING: Record<PeerName, string> = { gd: 'gd/gd', 'tfjs-wasm': 'gd/wasm', 'tfjs-cpu': 'gd/cpu', 'jax-js': 'gd/jax' };

/**
 * One peer's run of a workload: `run` does the work and reads the result back to JS. A peer whose
 * results arrive asynchronously (jax-js on a worker pool) returns a promise that settles then.
 */
export interface Instance {
  run(): unknown;
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

function isPromise(x: unknown): x is Promise<unknown> {
  return typeof (x as Promise<unknown> | undefined)?.then === 'function';
}

/** {@link sample} for a run that may return a promise: awaited only when it does. */
export async function sampleAsync(run: () => unknown, minMs: number): Promise<number> {
  const first = run();
  if (!isPromise(first)) return sample(run, minMs);
  await first;
  let reps = 0;
  const t0 = performance.now();
  do {
    await run();
    reps++;
  } while (performance.now() - t0 < minMs);
  return (performance.now() - t0) / reps;
}

/** One setting of a paired comparison: `use` switches to it, `run` does one run there. */
export interface Setting {
  use(): void;
  run(): void;
}

/**
 * Milliseconds per run of each setting, from short blocks of runs (`blockMs` each) that take
 * turns until every setting has run for `minMs`. The speed of a shared machine drifts over
 * seconds, which `sample`'s one long run per setting turns into noise in their ratio; blocks
 * that alternate see the same drift. Each block starts with one untimed run (what switching
 * costs — a worker waking, caches refilled — is paid once by a training loop, not every few steps).
 */
export function interleaved(
  settings: readonly Setting[],
  minMs: number,
  blockMs = 10,
  now: () => number = () => performance.now(),
): number[] {
  if (settings.length === 0) throw new Error('interleaved: no settings');
  const spent = settings.map(() => 0);
  const reps = settings.map(() => 0);
  while (spent.some((t) => t < minMs)) {
    settings.forEach((s, i) => {
      s.use();
      s.run();
      const t0 = now();
      let t = t0;
      do {
        s.run();
        reps[i]!++;
        t = now();
      } while (t - t0 < blockMs);
      spent[i]! += t - t0;
    });
  }
  return spent.map((t, i) => t / reps[i]!);
}

/** Median, min and max of a list of numbers. */
export interface Stats {
  median: number;
  min: number;
  max: number;
}

export function stats(xs: readonly number[]): Stats {
  if (xs.length === 0) throw new Error('stats: no values');
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

/** A unit where more is better (a rate) or less is better (a time). */
export type Unit = 'GFLOP/s' | 'samples/s' | 'ms';

/** A workload: the same work on every peer, and how to turn ms per run into its unit. */
export interface Workload {
  group: 'matmul' | 'mlp' | 'linefit' | 'softmax-ce' | 'lenet' | 'lstm' | 'conv' | 'gpt';
  label: string;
  unit: Unit;
  peers: PeerName[];
  metric: (ms: number) => number;
  make: (peer: PeerName) => Instance;
}

/** gd/peer for one round: > 1 means gd is faster, whichever way the unit points. */
export function ratio(unit: Unit, gd: number, peer: number): number {
  return unit === 'ms' ? peer / gd : gd / peer;
}

/** One table row: each peer's results over the rounds and gd/peer paired within each round. */
export interface Row {
  workload: string;
  group: string;
  unit: Unit;
  results: Partial<Record<PeerName, Stats>>;
  ratios: Partial<Record<PeerName, Stats>>;
  /** Peers that could not run the workload, with the error they threw. */
  unsupported?: Partial<Record<PeerName, string>>;
  /** The fastest peer but gd (by median), and gd/that peer per round: the ratio a target is set against. */
  best?: { peer: PeerName; ratio: Stats };
  /**
   * Where each peer ran in more than one configuration (the browser's isolated and plain pages):
   * the configuration its results and ratios are taken from, the faster one.
   */
  config?: Partial<Record<PeerName, string>>;
  /** Every configuration's results (median and range), the losing ones included. */
  byConfig?: Record<string, Partial<Record<PeerName, Stats>>>;
}

/** Whether a is a better result than b in this unit (a higher rate, a shorter time). */
export function better(unit: Unit, a: number, b: number): boolean {
  return unit === 'ms' ? a < b : a > b;
}

/**
 * Summarises per-round measurements (in the workload's unit, round r of every peer measured back to
 * back). The ratio is taken within each round, then summarised: the machine's speed drifts between
 * rounds, and a ratio of medians would mix rounds run at different speeds.
 */
export function summarise(w: Pick<Workload, 'label' | 'group' | 'unit'>, perPeer: ReadonlyMap<PeerName, readonly number[]>): Row {
  const gd = perPeer.get('gd');
  if (!gd) throw new Error(`summarise: ${w.label} has no gd measurements`);
  const results: Row['results'] = {};
  const ratios: Row['ratios'] = {};
  for (const [p, xs] of perPeer) {
    results[p] = stats(xs);
    if (p === 'gd') continue;
    if (xs.length !== gd.length) throw new Error(`summarise: ${w.label}: ${p} has ${xs.length} rounds, gd ${gd.length}`);
    ratios[p] = stats(xs.map((v, r) => ratio(w.unit, gd[r]!, v)));
  }
  const row: Row = { workload: w.label, group: w.group, unit: w.unit, results, ratios };
  let best: PeerName | undefined;
  for (const p of PEERS) {
    const s = results[p];
    if (p === 'gd' || !s) continue;
    if (best === undefined || better(w.unit, s.median, results[best]!.median)) best = p;
  }
  if (best !== undefined) row.best = { peer: best, ratio: ratios[best]! };
  return row;
}

/**
 * Summarises a workload measured in several configurations (round r of every configuration and
 * peer run back to back): each peer is taken in its best configuration (by median), and gd/peer
 * is paired within each round between gd's best configuration and the peer's. `unsupported`
 * gives, per configuration, the peers that threw; a peer is unsupported only if it failed in all.
 */
export function summariseBest(
  w: Pick<Workload, 'label' | 'group' | 'unit'>,
  perConfig: ReadonlyMap<string, ReadonlyMap<PeerName, readonly number[]>>,
  unsupported: ReadonlyMap<string, Partial<Record<PeerName, string>>> = new Map(),
): Row {
  const byConfig: Record<string, Partial<Record<PeerName, Stats>>> = {};
  const chosen = new Map<PeerName, { config: string; xs: readonly number[]; median: number }>();
  for (const [config, perPeer] of perConfig) {
    byConfig[config] = {};
    for (const [p, xs] of perPeer) {
      if (xs.length === 0) continue;
      const s = stats(xs);
      byConfig[config]![p] = s;
      const now = chosen.get(p);
      if (!now || better(w.unit, s.median, now.median)) chosen.set(p, { config, xs, median: s.median });
    }
  }
  const series = new Map<PeerName, readonly number[]>(PEERS.filter((p) => chosen.has(p)).map((p) => [p, chosen.get(p)!.xs]));
  const row = summarise(w, series);
  row.config = Object.fromEntries([...chosen].map(([p, c]) => [p, c.config]));
  row.byConfig = byConfig;
  const failed: Partial<Record<PeerName, string>> = {};
  for (const errors of unsupported.values()) {
    for (const [p, e] of Object.entries(errors) as Array<[PeerName, string]>) if (!chosen.has(p)) failed[p] ??= e;
  }
  if (Object.keys(failed).length > 0) row.unsupported = failed;
  return row;
}

/**
 * Measures a workload: in each round every peer runs back to back (`before` runs first, e.g. to
 * switch a backend), and the rounds are summarised by {@link summarise}.
 */
export async function measure(
  w: Workload,
  o: { rounds: number; minMs: number; before?: (p: PeerName) => unknown; after?: (p: PeerName) => void },
): Promise<Row> {
  const perPeer = new Map<PeerName, number[]>(w.peers.map((p) => [p, []]));
  const unsupported: Partial<Record<PeerName, string>> = {};
  for (let r = 0; r < o.rounds; r++) {
    for (const p of w.peers) {
      if (unsupported[p] !== undefined) {
        o.after?.(p);
        continue;
      }
      await o.before?.(p);
      try {
        const inst = w.make(p);
        try {
          perPeer.get(p)!.push(w.metric(await sampleAsync(() => inst.run(), o.minMs)));
        } finally {
          inst.dispose();
        }
      } catch (e) {
        // a peer that lacks a kernel is a finding for the table; gd failing is a bug
        if (p === 'gd') throw e;
        unsupported[p] = e instanceof Error ? e.message : String(e);
        perPeer.delete(p);
      }
      o.after?.(p);
    }
  }
  const row = summarise(w, perPeer);
  return Object.keys(unsupported).length > 0 ? { ...row, unsupported } : row;
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cell = (s: Stats | undefined) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '—');
const ratioCell = (s: Stats | undefined) => (s ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : '—');

/**
 * The results as a Markdown table: a column per peer that appears in any row, then gd/peer for each
 * peer but gd, then the best peer of the row and gd/best. `threads`, when given, is appended to the
 * peers' headings ("jax-js, 2 threads"); a row that took a peer from one of several configurations
 * names it in the cell ("31.2 (30.0–32.1) [isolated, 2 threads]", `describe` spells a configuration).
 */
export function formatTable(
  rows: readonly Row[],
  threads?: Partial<Record<PeerName, number>>,
  describe: (config: string, peer: PeerName) => string = (c) => c,
): string {
  const peers = PEERS.filter((p) => rows.some((r) => r.results[p] || r.unsupported?.[p] !== undefined));
  const others = peers.filter((p) => p !== 'gd');
  const withBest = rows.some((r) => r.best);
  const heading = (p: PeerName) => (threads?.[p] === undefined ? p : `${p}, ${threads[p]} thread${threads[p] === 1 ? '' : 's'}`);
  const header = [
    'workload',
    'unit',
    ...peers.map(heading),
    ...others.map((p) => RATIO_HEADING[p]),
    ...(withBest ? ['best peer', 'gd/best'] : []),
  ];
  const where = (r: Row, p: PeerName) => (r.config?.[p] === undefined ? '' : ` [${describe(r.config[p]!, p)}]`);
  const table = rows.map((r) => [
    r.workload,
    r.unit,
    ...peers.map((p) =>
      r.unsupported?.[p] !== undefined ? `unsupported: ${r.unsupported[p]}` : `${cell(r.results[p])}${r.results[p] ? where(r, p) : ''}`,
    ),
    ...others.map((p) => (r.unsupported?.[p] !== undefined ? 'unsupported' : ratioCell(r.ratios[p]))),
    ...(withBest ? [r.best?.peer ?? '—', ratioCell(r.best?.ratio)] : []),
  ]);
  return markdown(header, table);
}

function markdown(header: string[], table: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.map(line)].join('\n');
}

/**
 * Every configuration's median for every peer, the losing ones included: a column per peer and
 * configuration ("jax-js, isolated"), for rows measured in several configurations.
 */
export function formatConfigTable(rows: readonly Row[], configs: readonly string[]): string {
  const peers = PEERS.filter((p) => rows.some((r) => configs.some((c) => r.byConfig?.[c]?.[p])));
  const columns = peers.flatMap((p) => configs.map((c) => [p, c] as const));
  const header = ['workload', 'unit', ...columns.map(([p, c]) => `${p}, ${c}`)];
  const table = rows.map((r) => [
    r.workload,
    r.unit,
    ...columns.map(([p, c]) => {
      const s = r.byConfig?.[c]?.[p];
      return s ? `${fmt(s.median)}${r.config?.[p] === c ? ' *' : ''}` : '—';
    }),
  ]);
  return markdown(header, table);
}
