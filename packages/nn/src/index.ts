/**
 * @gd/nn — modules, layers and multi-layer networks (seed §2.5), parameter initialisation,
 * and safetensors save/load. File helpers for Node are in `@gd/nn/node`.
 *
 * @packageDocumentation
 */
export { Module } from './module.js';
export { Linear, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax, Flatten, Dropout, Sequential, mlp, parameter } from './layers.js';
export type { Activation } from './layers.js';
export { init, gain, fans } from './init.js';
export type { KaimingOptions } from './init.js';
export { saveSafetensors, loadSafetensors, parseSafetensors, SafetensorsError } from './safetensors.js';
export type { SafetensorsEntry, ParsedSafetensors } from './safetensors.js';
