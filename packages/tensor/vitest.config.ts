import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// The kernels come in two builds (plain SIMD, and relaxed SIMD with a fused GEMM multiply-add), so
// every test runs on both: each project chooses its build in a setup file before the first op.
// Node 20 runs relaxed SIMD only with --experimental-wasm-relaxed-simd (later Node by default).
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      projects: [
        {
          extends: true,
          // --expose-gc: the safety-net test (test/net.test.ts) collects garbage on purpose
          test: { name: 'plain-simd', setupFiles: ['test/setup-plain.ts'], execArgv: ['--expose-gc'] },
        },
        {
          extends: true,
          test: {
            name: 'relaxed-simd',
            // the browser suite runs Chromium's own engine: once is enough
            exclude: ['test/browser-threads.test.ts'],
            setupFiles: ['test/setup-relaxed.ts'],
            execArgv: ['--experimental-wasm-relaxed-simd', '--expose-gc'],
          },
        },
      ],
    },
  }),
);
