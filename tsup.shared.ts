import { defineConfig, type Options } from 'tsup';

/** Every package's build: ESM + CJS + type declarations for the given entries. */
export function packageBuild(entry: string[] = ['src/index.ts']) {
  const options: Options = { entry, format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: true, target: 'es2022' };
  return defineConfig(options);
}
