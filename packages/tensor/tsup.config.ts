import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// Two entries (the root and the grad subpath) share one runtime and one Tensor class: code
// splitting puts the shared modules in a chunk both entries load, in ESM and in CJS alike.
// `sideEffects: false` in package.json is for the bundlers of users; building the package itself,
// the one module run for its effect (methods.ts, which installs Tensor's methods and which both
// entries import) must be kept, so esbuild ignores that field here.
export default defineConfig({
  ...(packageBuild(['src/index.ts', 'src/grad.ts']) as object),
  splitting: true,
  esbuildOptions(options) {
    options.ignoreAnnotations = true;
  },
});
