// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { … } }), then the
// little-endian tensor bytes, every byte of them indexed by exactly one tensor. PyTorch and
// Hugging Face tools read what saveSafetensors writes.
import { DisposedError, fmtShape, GdError, keep, shapesEqual, Tensor, tensor, ValueError } from '@gd/tensor';
import { type AnyModule, stateAliases, writeState } from './module.js';
import { optionsOf } from './options.js';

/** A safetensors file that is truncated, corrupted, or does not match the model. */
export class SafetensorsError extends GdError {
  constructor(message: string) {
    super('E_SAFETENSORS', message);
  }
}

/** Largest header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;
const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A short, safe rendering of a header value for an error message (any depth, any size). */
function brief(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? 'a deeply nested array' : 'a deeply nested value';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** True for a plain object whose values are all strings. */
function isStringRecord(v: unknown): v is Record<string, string> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** One tensor of a parsed file. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** The raw little-endian bytes (a view into the file). */
  bytes: Uint8Array;
}

/** A parsed file: its tensors by name and its string metadata. */
export interface ParsedSafetensors {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** One tensor of a header: where its bytes are in the data section. */
export interface HeaderEntry {
  dtype: string;
  shape: number[];
  /** Byte offsets into the data (after the 8-byte length and the header). */
  begin: number;
  end: number;
}

/** A parsed, validated header. */
export interface ParsedHeader {
  tensors: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
}

/**
 * The header length in a file's first 8 bytes, checked against the limit and the file size
 * (`total`, the whole file's bytes).
 */
export function headerLength(first8: Uint8Array, total: number): number {
  if (first8.length < 8 || total < 8)
    throw new SafetensorsError(`safetensors: file of ${total} bytes is too short for the 8-byte header length`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) throw new SafetensorsError(`safetensors: header length ${n} exceeds ${MAX_HEADER}`);
  if (8 + n > total) throw new SafetensorsError(`safetensors: truncated: header says ${n} bytes, file has ${total - 8} after the length`);
  return n;
}

/**
 * The first key that appears twice in one object of a JSON text (JSON.parse keeps the last
 * silently), or undefined. The text is valid JSON: strings, nesting and colons are all that
 * matter.
 */
function duplicateKey(text: string): string | undefined {
  // one frame per open object (its keys) or array (null)
  const frames: Array<Set<string> | null> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') frames.push(new Set());
    else if (c === '[') frames.push(null);
    else if (c === '}' || c === ']') frames.pop();
    else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const keys = frames[frames.length - 1];
      if (!keys) continue;
      let j = i + 1;
      while (j < text.length && ' \t\n\r'.includes(text[j]!)) j++;
      if (text[j] !== ':') continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (keys.has(key)) return key;
      keys.add(key);
    }
  }
  return undefined;
}

/**
 * Parses and validates a header (the `n` bytes after the length) for a data section of
 * `dataLength` bytes: JSON, no name twice, dtypes, shapes, that each tensor's byte range
 * matches its shape, and that the ranges cover the data without gaps or overlaps.
 */
export function parseHeader(headerBytes: Uint8Array, dataLength: number): ParsedHeader {
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`safetensors: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new SafetensorsError('safetensors: header is not a JSON object');
  const twice = duplicateKey(text);
  if (twice !== undefined) throw new SafetensorsError(`safetensors: header names ${brief(twice)} twice; each name must appear once`);
  const tensors = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!isStringRecord(info)) throw new SafetensorsError(`safetensors: __metadata__ must map strings to strings, got ${brief(info)}`);
      metadata = { ...info };
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (info ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES))
      throw new SafetensorsError(`safetensors: tensor '${name}' has unknown dtype ${brief(dtype)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new SafetensorsError(`safetensors: tensor '${name}' has an invalid shape ${brief(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isInteger(o) || o < 0)) {
      throw new SafetensorsError(`safetensors: tensor '${name}' has invalid data_offsets ${brief(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = shape.reduce((a: number, d: number) => a * d, 1) * DTYPE_BYTES[dtype]!;
    if (end < begin || end - begin !== expected) {
      throw new SafetensorsError(
        `safetensors: tensor '${name}' ${dtype} ${fmtShape(shape)} needs ${expected} bytes; data_offsets give ${end - begin}`,
      );
    }
    if (end > dataLength)
      throw new SafetensorsError(`safetensors: truncated: tensor '${name}' ends at byte ${end}; the data has ${dataLength}`);
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype, shape, begin, end });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== at) throw new SafetensorsError(`safetensors: tensor '${name}' starts at ${begin}; expected ${at} (a gap or an overlap)`);
    at = end;
  }
  if (at !== dataLength) throw new SafetensorsError(`safetensors: ${dataLength - at} bytes of data are not indexed by any tensor`);
  return { tensors, metadata };
}

/**
 * Parses and validates a safetensors file: header bounds, JSON, no name twice, dtypes, shapes,
 * that each tensor's byte range matches its shape, and that the ranges cover the data without
 * gaps or overlaps.
 *
 * @example
 * ```ts
 * parseSafetensors(bytes).tensors.get('0.weight')!.shape; // [128, 784]
 * ```
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError('safetensors: expected a Uint8Array');
  // a plain Uint8Array over the same bytes: a Node Buffer's subarray().slice() would be a view
  // into its shared pool, so the entries handed out are never Buffers
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = headerLength(bytes, bytes.length);
  const data = bytes.subarray(8 + n);
  const header = parseHeader(bytes.subarray(8, 8 + n), data.length);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, e] of header.tensors) tensors.set(name, { dtype: e.dtype, shape: e.shape, bytes: data.subarray(e.begin, e.end) });
  return { tensors, metadata: header.metadata };
}

/** An IEEE 754 half-precision value from its 16 bits. */
export function decodeF16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A bfloat16 value from its 16 bits: the upper half of a float32. */
export function decodeBF16(bits: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = (bits & 0xffff) << 16;
  return f[0]!;
}

/** The gd dtype a safetensors dtype loads as: F64 → float64; F32, F16, BF16 → float32. */
const LOADS_AS: Record<string, 'float32' | 'float64'> = { F64: 'float64', F32: 'float32', F16: 'float32', BF16: 'float32' };

// an entry's values as the typed array of the dtype it loads as (little-endian in the file)
function values(entry: SafetensorsEntry): Float32Array | Float64Array {
  const b = entry.bytes;
  // the file's own bytes where they already are the values (little-endian host, aligned):
  // tensor() copies them once, where a loop would take seconds over a large model
  if (littleEndian && (entry.dtype === 'F32' || entry.dtype === 'F64')) {
    const width = entry.dtype === 'F32' ? 4 : 8;
    if (b.byteOffset % width === 0)
      return entry.dtype === 'F32'
        ? new Float32Array(b.buffer, b.byteOffset, b.length / 4)
        : new Float64Array(b.buffer, b.byteOffset, b.length / 8);
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (entry.dtype) {
    case 'F64': {
      const out = new Float64Array(b.length / 8);
      for (let i = 0; i < out.length; i++) out[i] = v.getFloat64(i * 8, true);
      return out;
    }
    case 'F16':
    case 'BF16': {
      const decode = entry.dtype === 'F16' ? decodeF16 : decodeBF16;
      const out = new Float32Array(b.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = decode(v.getUint16(i * 2, true));
      return out;
    }
    default: {
      const out = new Float32Array(b.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(i * 4, true);
      return out;
    }
  }
}

/**
 * int32 values of an I64 or I32 entry. gd's int32 stands for PyTorch's int64 counts and indices
 * (BatchNorm's num_batches_tracked); a value outside the int32 range is refused, not wrapped.
 */
function ints(name: string, entry: SafetensorsEntry): Int32Array {
  const v = new DataView(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength);
  const wide = entry.dtype === 'I64';
  const out = new Int32Array(entry.bytes.byteLength / (wide ? 8 : 4));
  for (let i = 0; i < out.length; i++) {
    if (!wide) {
      out[i] = v.getInt32(i * 4, true);
      continue;
    }
    const x = v.getBigInt64(i * 8, true);
    if (x < -2147483648n || x > 2147483647n) {
      throw new SafetensorsError(`loadSafetensors: '${name}' holds ${x} at element ${i}, outside the int32 range gd stores it in`);
    }
    out[i] = Number(x);
  }
  return out;
}

/**
 * Serialises a model's stateDict (or any name → Tensor record) to safetensors bytes: float32 as
 * F32, float64 as F64, int32 as I64 (PyTorch's integer type for counts such as
 * num_batches_tracked).
 * Names are the stateDict keys; metadata is optional string → string.
 *
 * @example
 * ```ts
 * const bytes = saveSafetensors(model, { metadata: { format: 'pt' } });
 * ```
 */
export function saveSafetensors(
  source: AnyModule | Record<string, Tensor>,
  options: { metadata?: Record<string, string> } = {},
): Uint8Array {
  if (source === null || typeof source !== 'object')
    throw new ValueError(`saveSafetensors: expected a Module or a record of name → Tensor, got ${String(source)}`);
  options = optionsOf('saveSafetensors', options, { metadata: true });
  const state =
    typeof (source as AnyModule).stateDict === 'function' ? (source as AnyModule).stateDict() : (source as Record<string, Tensor>);
  if (options.metadata !== undefined && !isStringRecord(options.metadata)) {
    throw new ValueError(`saveSafetensors: metadata must map strings to strings, got ${brief(options.metadata)}`);
  }
  for (const name of Object.keys(state)) {
    // the format keeps this name for the metadata: a tensor under it could not be read back
    if (name === '__metadata__')
      throw new SafetensorsError(`saveSafetensors: a tensor cannot be named '__metadata__' (the format's metadata key); rename it`);
    const t: unknown = state[name];
    if (!(t instanceof Tensor)) throw new ValueError(`saveSafetensors: '${name}' is ${t === null ? 'null' : typeof t}; expected a Tensor`);
    if (t.isDisposed) throw new DisposedError(`saveSafetensors: '${name}' is a disposed tensor`);
    if (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'int32') {
      throw new SafetensorsError(`saveSafetensors: '${name}' is ${t.dtype}; float32, float64 and int32 are written`);
    }
  }
  // int32 is written as I64, the integer type PyTorch keeps counts and indices in
  const code = (t: Tensor) => (t.dtype === 'int32' ? 'I64' : t.dtype === 'float64' ? 'F64' : 'F32');
  // The reference writer's order (and so PyTorch's save_file): the wider dtypes first (I64, F64,
  // then F32, so every tensor starts aligned to its element size), by name within a dtype; the
  // header lists the tensors in that order after __metadata__. The same state gives the same bytes.
  const rank: Record<string, number> = { I64: 0, F64: 1, F32: 2 };
  const names = Object.keys(state).sort((a, b) => rank[code(state[a]!)]! - rank[code(state[b]!)]! || (a < b ? -1 : a > b ? 1 : 0));
  const entries: string[] = [];
  if (options.metadata) entries.push(`"__metadata__":${JSON.stringify(options.metadata)}`);
  let offset = 0;
  for (const name of names) {
    const t = state[name]!;
    const width = t.dtype === 'float32' ? 4 : 8;
    const info = { dtype: code(t), shape: [...t.shape], data_offsets: [offset, offset + t.size * width] };
    // written entry by entry: a JS object would move integer-like names ("0", "1") to the front
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += t.size * width;
  }
  const text = `{${entries.join(',')}}`;
  let json = new TextEncoder().encode(text);
  // pad the header with spaces so the data starts 8-byte aligned, as the reference writer does
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = new TextEncoder().encode(text + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const t = state[name]!;
    if (t.dtype === 'int32') {
      const view = new DataView(out.buffer);
      t.data().forEach((x, i) => {
        view.setBigInt64(at + i * 8, BigInt(x), true);
      });
      at += t.size * 8;
      continue;
    }
    const data = t.data() as Float32Array | Float64Array;
    const width = data.BYTES_PER_ELEMENT;
    if (littleEndian) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else {
      const view = new DataView(out.buffer);
      for (let i = 0; i < data.length; i++) {
        if (width === 8) view.setFloat64(at + i * 8, data[i]!, true);
        else view.setFloat32(at + i * 4, data[i]!, true);
      }
    }
    at += data.byteLength;
  }
  return out;
}

/** What a load will write: each name of the file the model takes, with its header entry. */
type LoadPlan = Array<[string, HeaderEntry, Tensor]>;

/**
 * Checks a parsed header against a model before any data is read: every name of the file is one
 * of the model's, every parameter and buffer is in the file under one of its names (a tied
 * parameter under any of them), and dtypes and shapes match. These are the only checks of names,
 * dtypes and shapes a load makes: the staged tensors are written as planned.
 */
function planLoad(
  model: AnyModule,
  header: ParsedHeader,
  op: string,
): { plan: LoadPlan; live: Record<string, Tensor>; aliases: Map<Tensor, string[]> } {
  const { live, aliases } = stateAliases(model);
  const missing = [...aliases.values()].filter((names) => !names.some((k) => header.tensors.has(k))).flat();
  const unexpected = [...header.tensors.keys()].filter((k) => !Object.hasOwn(live, k));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing [${missing.join(', ')}]`);
    if (unexpected.length > 0) parts.push(`unexpected [${unexpected.join(', ')}]`);
    throw new SafetensorsError(`${op}: ${parts.join(', ')}`);
  }
  const plan: LoadPlan = [];
  // in the model's order, so the first mismatch named is the model's first
  for (const [k, p] of Object.entries(live)) {
    const e = header.tensors.get(k);
    if (e === undefined) continue;
    if (p.dtype === 'int32') {
      if (e.dtype !== 'I64' && e.dtype !== 'I32') {
        throw new SafetensorsError(`${op}: '${k}' has dtype ${e.dtype}; the model needs I64 or I32`);
      }
    } else {
      const as = LOADS_AS[e.dtype];
      if (as === undefined) {
        throw new SafetensorsError(`${op}: '${k}' has dtype ${e.dtype}; F64 (float64) or F32, F16, BF16 (float32) can be loaded`);
      }
      if (as !== p.dtype) {
        throw new SafetensorsError(
          `${op}: '${k}' has dtype ${e.dtype}, which loads as ${as}; the model holds ${p.dtype} there (convert the model with to('${as}') first)`,
        );
      }
    }
    if (!shapesEqual(e.shape, p.shape))
      throw new SafetensorsError(`${op}: '${k}' has shape ${fmtShape(e.shape)}; the model needs ${fmtShape(p.shape)}`);
    plan.push([k, e, p]);
  }
  return { plan, live, aliases };
}

/** A staged tensor (kept) of one entry's bytes, converted (and range-checked) to the dtype the model holds. */
function stageEntry(name: string, entry: HeaderEntry, target: Tensor, bytes: Uint8Array): Tensor {
  const e = { dtype: entry.dtype, shape: entry.shape, bytes };
  const data = target.dtype === 'int32' ? ints(name, e) : values(e);
  return keep(tensor(data, { shape: entry.shape, dtype: target.dtype }));
}

/** A byte range a load asks for: [position, length] in the file. */
export type ByteRange = readonly [position: number, length: number];

/**
 * Every load of safetensors, as the reads it needs: yields the byte ranges it wants in turn (the
 * header's length, the header, then each tensor the model takes) and is sent their bytes; a
 * reader's error is thrown into it, so it frees what it staged. It checks the header against the
 * model before any tensor is read and writes the model only once every tensor is staged, so on
 * any error the model is unchanged. Returns the file's metadata. Run it with runLoad (bytes or a
 * synchronous reader) or an async loop over the same protocol (loadSafetensorsFile).
 */
export function* loadSteps(model: AnyModule, size: number, op: string): Generator<ByteRange, Record<string, string>, Uint8Array> {
  const n = headerLength(yield [0, Math.min(8, size)], size);
  const header = parseHeader(yield [8, n], size - 8 - n);
  const { plan, live, aliases } = planLoad(model, header, op);
  const staged: Record<string, Tensor> = {};
  try {
    for (const [k, e, target] of plan) staged[k] = stageEntry(k, e, target, yield [8 + n + e.begin, e.end - e.begin]);
    // an await between the plan and here may have replaced the model's tensors (to(), a load)
    const now = model.stateDict();
    const changed = Object.keys({ ...live, ...now }).find((k) => now[k] !== live[k]);
    if (changed !== undefined)
      throw new SafetensorsError(
        `${op}: the model's '${changed}' was replaced during the load (to(), or another load?); nothing was written`,
      );
    const params = new Set(model.parameters().map((p) => p.value));
    writeState(op, aliases, staged, (t) => (params.has(t) ? 'parameter' : 'buffer'));
  } finally {
    for (const t of Object.values(staged)) t.dispose();
  }
  return header.metadata;
}

/** Runs loadSteps with a synchronous reader of byte ranges. */
export function runLoad(
  steps: Generator<ByteRange, Record<string, string>, Uint8Array>,
  read: (position: number, length: number) => Uint8Array,
): Record<string, string> {
  let step = steps.next();
  while (!step.done) {
    let bytes: Uint8Array;
    try {
      bytes = read(...step.value);
    } catch (err) {
      steps.throw(err);
      throw err;
    }
    step = steps.next(bytes);
  }
  return step.value;
}

/**
 * Loads safetensors bytes into a model. The whole file is parsed and every name, dtype and
 * shape checked against the model before any parameter is written, so a truncated, corrupted
 * or mismatched file throws SafetensorsError and leaves the model as it was. F64 loads into
 * float64 parameters; F32, F16 and BF16 (as PyTorch checkpoints carry them) into float32 ones.
 * A tied parameter loads from any of its names. Returns the file's metadata.
 *
 * @example
 * ```ts
 * loadSafetensors(model, bytes);
 * ```
 */
export function loadSafetensors(model: AnyModule, bytes: Uint8Array): Record<string, string> {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError('loadSafetensors: expected a Uint8Array');
  const all = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return runLoad(loadSteps(model, all.length, 'loadSafetensors'), (position, length) => all.subarray(position, position + length));
}
