// Options arguments, checked: an object, holding only the keys its call accepts.
import { checkOptions } from '@gd/tensor';

/** What a value is, for messages: 'null', 'an array', or its typeof. @internal */
export const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * The keys of an options type, each `true`: a list of the keys a call accepts that the compiler
 * checks against the type, none missing and none extra. @internal
 */
export type OptionKeys<O> = { readonly [K in keyof Required<O>]: true };

/**
 * An options argument, checked to be an object (undefined: the defaults) holding only `accepted`
 * keys: an unknown key — a misspelt or PyTorch-spelt `batch_first` — is a ValueError naming it and
 * the keys accepted, as PyTorch refuses an unexpected keyword argument, rather than a setting
 * silently left at its default. @internal
 */
export function optionsOf<O>(op: string, options: O | undefined, accepted: OptionKeys<O>): O {
  return checkOptions(op, options, Object.keys(accepted));
}
