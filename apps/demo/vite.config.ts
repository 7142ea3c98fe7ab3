import { defineConfig } from 'vite';

// keepNames: gd's error messages name layers by their class (e.g. an ONNX export that meets a
// layer it cannot write); minified names would tell the reader nothing
export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, rolldownOptions: { output: { keepNames: true } } },
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  preview: { host: '127.0.0.1' },
});
