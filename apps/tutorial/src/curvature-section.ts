// The tour's §3: the line fit's Hessian and learning-rate bound, Newton against gradient
// descent, and Rosenbrock's valley by gradient descent, Adam, L-BFGS and Newton.
import { type CurvatureRun, lineCurvature, rosenbrockRace } from '@gd/lessons';
import { columns, type Messages, padCols, pick } from './messages.js';

const padStart = (s: string, w: number) => ' '.repeat(Math.max(0, w - columns(s))) + s;

/** Prints docs/tutorial.md §3 as computed by gd. */
export function curvatureSection(o: {
  seed: number;
  heading: (s: string) => void;
  m: Messages;
  f: (x: number, d?: number) => string;
}): void {
  const { m, f } = o;
  o.heading(m.hCurv);
  const line = lineCurvature(o.seed);
  const h = `[[${line.hessian[0]!.map((v) => f(v)).join(', ')}], [${line.hessian[1]!.map((v) => f(v)).join(', ')}]]`;
  console.log(m.hessianLine(h, f(line.eigenvalues[0]), f(line.eigenvalues[1]), f(line.lrBound)));
  const [method, reason, iterations, time, error] = m.curvHeader as [string, string, string, string, string];
  const row = (r: CurvatureRun, withReason: boolean) =>
    `${padCols(pick(m.methods, r.method), 30)} ${withReason ? `${padCols(pick(m.reasons, r.reason), 18)} ` : ''}${padStart(String(r.iterations), 10)} ${padStart(m.seconds((r.ms / 1000).toFixed(3)), 12)} ${padStart(r.error.toExponential(2), 10)}`;
  console.log(`\n${m.lineRuns}`);
  console.log(`${padCols(method, 30)} ${padStart(iterations, 10)} ${padStart(time, 12)} ${padStart(error, 10)}`);
  for (const r of line.runs) console.log(row(r, false));
  console.log(m.curvWhy(line.runs[0]!.iterations));
  console.log(`\n${m.rosenRuns}`);
  console.log(`${padCols(method, 30)} ${padCols(reason, 18)} ${padStart(iterations, 10)} ${padStart(time, 12)} ${padStart(error, 10)}`);
  for (const r of rosenbrockRace()) console.log(row(r, true));
}
