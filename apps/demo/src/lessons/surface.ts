// The MSE loss surface of a line fit over a grid of (a, b), computed with gd in one batch:
// predictions [G², n] = a·x + b, then the mean squared error per row.
import type { LineData } from '@gd/lessons';
import { scope, tensor } from '@gd/tensor';
import * as Plot from '@observablehq/plot';
import { chart } from '../ui.js';

export interface Grid {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  size: number;
  /** row-major, y from y1 (first row) to y2 */
  values: Float32Array;
}

export function mseGrid(data: LineData, x1: number, x2: number, y1: number, y2: number, size = 41): Grid {
  const values = scope(() => {
    const as: number[] = [];
    const bs: number[] = [];
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        as.push(x1 + ((x2 - x1) * (c + 0.5)) / size);
        bs.push(y1 + ((y2 - y1) * (r + 0.5)) / size);
      }
    }
    const x = tensor(data.x).reshape([1, -1]);
    const y = tensor(data.y).reshape([1, -1]);
    const a = tensor(as).reshape([-1, 1]);
    const b = tensor(bs).reshape([-1, 1]);
    return a.mul(x).add(b).sub(y).square().mean(1).data() as Float32Array;
  });
  return { x1, x2, y1, y2, size, values };
}

const PATH_COLORS = ['#e03c31', '#e08a1e', '#3aa76d', '#7b3fc4', '#222', '#c2188b'];

/** The Hessian at a point, [h11, h12, h21, h22], with its eigenvalues and unit eigenvectors, the larger first. */
export interface Eigen {
  at: [number, number];
  hessian: [number, number, number, number];
  values: [number, number];
  vectors: [[number, number], [number, number]];
}

/** A path drawn over the contours: its name in the legend; z orders the drawing (higher on top); key names its mark's class (path-key). */
export interface DrawnPath {
  name: string;
  points: Array<[number, number]>;
  z?: number;
  key?: string;
}

/** Log-scaled contours of a grid, with optional paths drawn over them and a legend of their names. */
export function contourPlot(
  grid: Grid,
  paths: DrawnPath[],
  labels: [string, string],
  width = 460,
  minimum?: { name: string; at: [number, number] },
  eigen?: Eigen,
): Element {
  // the eigen-directions as two segments through the point, each way, labelled λ₁ (steepest curvature) and λ₂
  const reach = 0.1 * Math.min(grid.x2 - grid.x1, grid.y2 - grid.y1);
  const segments = eigen
    ? eigen.vectors.map((v, i) => ({
        x1: eigen.at[0] - reach * v[0],
        y1: eigen.at[1] - reach * v[1],
        x2: eigen.at[0] + reach * v[0],
        y2: eigen.at[1] + reach * v[1],
        name: i === 0 ? 'λ₁' : 'λ₂',
      }))
    : [];
  // log scale over four decades below the maximum, so near-zero minima don't wash out the colours
  const top = Math.max(...grid.values);
  const logValues = Array.from(grid.values, (v) => Math.log10(Math.max(v, top * 1e-4)));
  const plot = chart({
    width,
    height: Math.round(Math.min(380, width * 0.83)),
    x: { domain: [grid.x1, grid.x2], label: labels[0] },
    y: { domain: [grid.y1, grid.y2], label: labels[1] },
    color: { type: 'linear', scheme: 'blues', reverse: true, legend: false },
    clip: true,
    marks: [
      Plot.contour(logValues, {
        x1: grid.x1,
        x2: grid.x2,
        y1: grid.y1,
        y2: grid.y2,
        width: grid.size,
        height: grid.size,
        fill: Plot.identity,
        // filled bands without outlines: an outline along a narrow valley floor reads as a path
        stroke: 'none',
        thresholds: 18,
      }),
      // each path keeps its colour; the higher z is drawn later, on top
      ...paths
        .map((p, i) => ({ p, i }))
        .sort((a, b) => (a.p.z ?? 0) - (b.p.z ?? 0))
        .map(({ p, i }) =>
          Plot.line(p.points, {
            x: (d: [number, number]) => d[0],
            y: (d: [number, number]) => d[1],
            stroke: PATH_COLORS[i % PATH_COLORS.length],
            strokeWidth: 2,
            marker: 'dot',
            ...(p.key ? { className: `path-${p.key}` } : {}),
          }),
        ),
      ...(eigen
        ? [
            Plot.arrow(segments, {
              x1: 'x1',
              y1: 'y1',
              x2: 'x2',
              y2: 'y2',
              stroke: (d: { name: string }) => (d.name === 'λ₁' ? '#b3261e' : '#1d232b'),
              strokeWidth: 2.5,
              headLength: 10,
              className: 'eigen',
            }),
            Plot.text(segments, {
              x: 'x2',
              y: 'y2',
              text: 'name',
              dx: 8,
              dy: -8,
              fontSize: 13,
              fontWeight: 'bold',
              fill: '#000',
              stroke: '#fff',
              strokeWidth: 3,
              paintOrder: 'stroke',
            }),
          ]
        : []),
      ...(minimum
        ? [
            Plot.dot([minimum.at], {
              x: (d: number[]) => d[0],
              y: (d: number[]) => d[1],
              symbol: 'star',
              r: 7,
              fill: '#ffd23f',
              stroke: '#000',
            }),
            Plot.text([minimum.at], {
              x: (d: number[]) => d[0],
              y: (d: number[]) => d[1],
              text: () => minimum.name,
              dy: 14,
              fontSize: 11,
              fontWeight: 'bold',
              fill: '#000',
              stroke: '#fff',
              strokeWidth: 3,
              paintOrder: 'stroke',
            }),
          ]
        : []),
    ],
  }) as Element;
  const figure = document.createElement('figure');
  figure.style.margin = '0';
  const legend = document.createElement('figcaption');
  legend.className = 'note';
  paths.forEach((p, i) => {
    // the dot carries the path's colour; the name stays dark enough to read
    const key = document.createElement('span');
    key.style.cssText = 'margin-right: 1rem; font-weight: 600; color: #1d232b;';
    const dot = document.createElement('span');
    dot.setAttribute('aria-hidden', 'true');
    dot.style.color = PATH_COLORS[i % PATH_COLORS.length]!;
    dot.textContent = '● ';
    key.append(dot, p.name);
    legend.append(key);
  });
  figure.append(plot, legend);
  return figure;
}
