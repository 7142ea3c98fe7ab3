import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// Two entries (the root and the grad subpath) share one runtime and one Tensor class: code
// splitting puts the shared modules in a chunk both entries load, in ESM and in CJS alike.
export default defineConfig({ ...(packageBuild(['src/index.ts', 'src/grad.ts']) as object), splitting: true });
