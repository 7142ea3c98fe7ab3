const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of a series on a log scale (losses span decades). */
export function sparkline(values: readonly number[], width = 40): string {
  if (values.length === 0) return '';
  const step = Math.max(1, values.length / width);
  const picked: number[] = [];
  for (let i = 0; i < values.length && picked.length < width; i += step) picked.push(Math.log10(Math.max(values[Math.floor(i)]!, 1e-12)));
  const lo = Math.min(...picked);
  const hi = Math.max(...picked);
  return picked.map((v) => BARS[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]).join('');
}
