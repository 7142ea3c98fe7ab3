// @gd/lessons: the tutorial's lessons as functions over gd, shared by the terminal tutorial, the
// web demo and the benchmarks. The MNIST reader needs Node's file system and lives at
// '@gd/lessons/mnist'.

export * from './cnn.js';
export * from './curvature.js';
export { noGradScope } from './gd.js';
export * from './lessons.js';
