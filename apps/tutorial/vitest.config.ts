import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared';

// Each test runs the whole job, a CPU-bound process: one at a time, so they do not compete for
// the same cores and run into their timeouts on a busy machine.
export default mergeConfig(shared, defineConfig({ test: { fileParallelism: false } }));
