// `pnpm bench --simd`: gd's two kernel builds, relaxed SIMD (fused GEMM multiply-add) and plain
// SIMD, on one-thread matmul. A process runs one build (the kernels start once), so each round
// starts one child per build, back to back, and the ratio is taken within the round.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelsInfo, matmul, randn, ready, type SimdBuild } from '@gd/tensor';
import { sample, stats } from './harness.js';

const FLAG = '--experimental-wasm-relaxed-simd';

/** In a child: GFLOP/s of one-thread n×n matmul on the given build, printed as JSON. */
export async function simdChild(build: SimdBuild, n: number, minMs: number): Promise<void> {
  await ready({ simd: build });
  const a = randn([n, n]);
  const b = randn([n, n]);
  const ms = sample(() => {
    const c = matmul(a, b);
    c.data();
    c.dispose();
  }, minMs);
  console.log(JSON.stringify({ simd: kernelsInfo().simd, gflops: (2 * n ** 3) / ms / 1e6 }));
}

/** The parent: rounds of (relaxed, plain) children; prints each build's GFLOP/s and the ratio. */
export function simdCompare(sizes: number[], rounds: number, minMs: number): void {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = (build: SimdBuild, n: number) => {
    const out = execFileSync(process.execPath, [FLAG, main, '--simd-child', build, '--sizes', String(n), '--min-ms', String(minMs)], {
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { simd: SimdBuild; gflops: number };
    if (r.simd !== build) throw new Error(`bench --simd: asked for the ${build} build, the child ran ${r.simd}`);
    return r.gflops;
  };
  console.log(`gd relaxed vs plain SIMD, one thread, Node ${process.version} ${FLAG}; median (min–max) of ${rounds} rounds`);
  for (const n of sizes) {
    const relaxed: number[] = [];
    const plain: number[] = [];
    const ratio: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const x = child('relaxed', n);
      const y = child('plain', n);
      relaxed.push(x);
      plain.push(y);
      ratio.push(x / y);
    }
    const f = (s: ReturnType<typeof stats>, d = 1) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
    console.log(
      `matmul n=${n}: relaxed ${f(stats(relaxed))} GFLOP/s, plain ${f(stats(plain))} GFLOP/s, relaxed/plain ${f(stats(ratio), 2)}`,
    );
  }
}
