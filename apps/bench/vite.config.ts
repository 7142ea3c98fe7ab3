import { defineConfig } from 'vite';

// The page `pnpm bench --browser` opens: the same workloads as the Node run, bundled for Chromium.
export default defineConfig({
  root: 'src/browser',
  base: './',
  logLevel: 'warn',
  // not minified: TensorFlow.js starts its threads from the source text of a function in its bundle,
  // which must not refer to names the minifier shortened
  build: { outDir: '../../dist/browser', emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 8000 },
});
