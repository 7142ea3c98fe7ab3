import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/lessons.ts', 'src/mnist.ts', 'src/cnn.ts', 'src/cnn-section.ts'],
  format: ['esm'],
  target: 'node20',
  clean: true,
  sourcemap: true,
});
