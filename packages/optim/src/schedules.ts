// Learning-rate schedules: functions from the step number (0, 1, …) to a learning rate.
import { ValueError } from '@gd/tensor';

/** A learning-rate schedule: step t = 0, 1, … → η_t. */
export type Schedule = (step: number) => number;

/** Checks a schedule's options: an object whose lr is a finite number ≥ 0. */
function base(name: string, o: { lr: number } | null | undefined): void {
  if (o === null || typeof o !== 'object') throw new ValueError(`schedules.${name}: options must be an object, got ${String(o)}`);
  if (typeof o.lr !== 'number' || !(o.lr >= 0) || !Number.isFinite(o.lr))
    throw new ValueError(`schedules.${name}: lr must be a finite number ≥ 0, got ${String(o.lr)}`);
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new ValueError(`schedules: ${name} must be a positive number, got ${v}`);
  return v;
}

/**
 * η·γ^⌊t/stepSize⌋ — drop by γ every stepSize steps.
 * @example `schedules.step({ lr: 0.1, stepSize: 10, gamma: 0.5 })(25) // 0.025`
 */
function step(o: { lr: number; stepSize: number; gamma?: number }): Schedule {
  base('step', o);
  positive('stepSize', o.stepSize);
  const gamma = positive('gamma', o.gamma ?? 0.1);
  return (t) => o.lr * gamma ** Math.floor(t / o.stepSize);
}

/**
 * η·γ^t.
 * @example `schedules.exponential({ lr: 1, gamma: 0.9 })(2) // 0.81`
 */
function exponential(o: { lr: number; gamma: number }): Schedule {
  base('exponential', o);
  positive('gamma', o.gamma);
  return (t) => o.lr * o.gamma ** t;
}

/**
 * Cosine annealing from η to ηmin over `steps` steps: ηmin + (η − ηmin)(1 + cos(πt/T))/2, then ηmin.
 * @example `schedules.cosine({ lr: 0.1, steps: 100 })(50) // 0.05`
 */
function cosine(o: { lr: number; steps: number; minLr?: number }): Schedule {
  base('cosine', o);
  positive('steps', o.steps);
  const min = o.minLr ?? 0;
  if (typeof min !== 'number' || !(min >= 0) || !Number.isFinite(min))
    throw new ValueError(`schedules.cosine: minLr must be a finite number ≥ 0, got ${String(min)}`);
  return (t) => (t >= o.steps ? min : min + ((o.lr - min) * (1 + Math.cos((Math.PI * t) / o.steps))) / 2);
}

/**
 * Linear warm-up from η/warmupSteps to η over the first warmupSteps steps, then `after`
 * (shifted to start at 0) or the constant η.
 * @example `schedules.linearWarmup({ lr: 0.1, warmupSteps: 10 })(4) // 0.05`
 */
function linearWarmup(o: { lr: number; warmupSteps: number; after?: Schedule }): Schedule {
  base('linearWarmup', o);
  if (o.after !== undefined && typeof o.after !== 'function')
    throw new ValueError(`schedules.linearWarmup: after must be a schedule (a function), got ${typeof o.after}`);
  positive('warmupSteps', o.warmupSteps);
  return (t) => (t < o.warmupSteps ? (o.lr * (t + 1)) / o.warmupSteps : o.after ? o.after(t - o.warmupSteps) : o.lr);
}

/** The learning-rate schedules. */
export const schedules = {
  /** η·γ^⌊t/stepSize⌋. */
  step,
  /** η·γ^t. */
  exponential,
  /** Cosine annealing from η to ηmin over `steps`. */
  cosine,
  /** Linear warm-up to η, then another schedule or constant η. */
  linearWarmup,
};
