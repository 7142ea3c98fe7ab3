import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/lessons.ts', 'src/mnist.ts'],
  format: ['esm'],
  target: 'node20',
  clean: true,
  sourcemap: true,
});
