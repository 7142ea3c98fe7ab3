import { defineConfig } from 'tsup';

// ESM only: the apps that use it are ESM, and the MNIST reader finds its data through import.meta.url.
export default defineConfig({
  entry: ['src/index.ts', 'src/mnist.ts', 'src/tang.ts', 'src/progress.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
