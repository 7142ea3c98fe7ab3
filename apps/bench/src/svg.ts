// A small SVG bar chart of gd/peer ratios: one row per workload, one bar per peer, a line at 1×.
// Written by hand because it needs no DOM: the charting libraries for the browser want one.

export interface RatioRow {
  label: string;
  ratios: Array<{ peer: string; ratio: number }>;
}

const COLORS = ['#2f6fdf', '#e08a1e', '#3aa76d', '#b0413e'];

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function ratioChart(rows: RatioRow[], title: string): string {
  const peers = [...new Set(rows.flatMap((r) => r.ratios.map((x) => x.peer)))];
  const max = Math.max(2, ...rows.flatMap((r) => r.ratios.map((x) => x.ratio)));
  const left = 230;
  const width = 560;
  const bar = 12;
  const rowH = peers.length * (bar + 2) + 10;
  const top = 50;
  const height = top + rows.length * rowH + 40;
  const x = (v: number) => left + (Math.log10(1 + v) / Math.log10(1 + max)) * width;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 120}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  peers.forEach((p, i) => {
    out.push(`<rect x="${left + i * 130}" y="30" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${left + i * 130 + 14}" y="39">gd / ${esc(p)}</text>`);
  });
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y0 + rowH / 2}" text-anchor="end">${esc(r.label)}</text>`);
    r.ratios.forEach((q) => {
      const k = peers.indexOf(q.peer);
      const y = y0 + 4 + k * (bar + 2);
      out.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(q.ratio) - left).toFixed(1)}" height="${bar}" fill="${COLORS[k % COLORS.length]}"/>`,
      );
      out.push(`<text x="${(x(q.ratio) + 4).toFixed(1)}" y="${y + bar - 2}">${q.ratio.toFixed(2)}×</text>`);
    });
  });
  const one = x(1).toFixed(1);
  out.push(`<line x1="${one}" y1="${top - 4}" x2="${one}" y2="${height - 30}" stroke="#c00" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${one}" y="${height - 16}" text-anchor="middle" fill="#c00">1× (same speed)</text>`);
  out.push('</svg>');
  return out.join('\n');
}
