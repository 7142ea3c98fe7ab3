// The relaxed-SIMD build, chosen before the first op: a StateError here means the engine lacks
// relaxed SIMD (the project passes --experimental-wasm-relaxed-simd to Node 20).
import { chooseSimd } from '../src/runtime.js';

chooseSimd('relaxed');
