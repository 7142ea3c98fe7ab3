import { defineConfig } from 'vite';

// Cross-origin isolated wherever vite serves the demo (dev and preview, so `pnpm demo` too): the
// training worker then shares memory with Web Workers of its own and trains on every core. A
// static host needs the same two headers (README.md).
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// keepNames: gd's error messages name layers by their class (e.g. an ONNX export that meets a
// layer it cannot write); minified names would tell the reader nothing
export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, rolldownOptions: { output: { keepNames: true } } },
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  server: { headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
