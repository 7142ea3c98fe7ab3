// The plain-SIMD build, chosen before the first op (the engine may also run relaxed SIMD).
import { chooseSimd } from '../src/runtime.js';

chooseSimd('plain');
