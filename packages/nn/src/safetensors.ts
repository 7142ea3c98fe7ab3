// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { … } }), then the
// little-endian tensor bytes, every byte of them indexed by exactly one tensor. PyTorch and
// Hugging Face tools read what saveSafetensors writes.
import { DisposedError, fmtShape, GdError, keep, shapesEqual, Tensor, tensor, ValueError } from '@gd/tensor';
import type { AnyModule } from './module.js';

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

/**
 * Parses and validates a safetensors file: header bounds, JSON, dtypes, shapes, that each
 * tensor's byte range matches its shape, and that the ranges cover the data without gaps or
 * overlaps.
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError('safetensors: expected a Uint8Array');
  // a plain Uint8Array over the same bytes: a Node Buffer's subarray().slice() would be a view
  // into its shared pool, so the entries handed out are never Buffers
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new SafetensorsError(`safetensors: file of ${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER) throw new SafetensorsError(`safetensors: header length ${n} exceeds ${MAX_HEADER}`);
  if (8 + n > bytes.length)
    throw new SafetensorsError(`safetensors: truncated: header says ${n} bytes, file has ${bytes.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`safetensors: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new SafetensorsError('safetensors: header is not a JSON object');
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, SafetensorsEntry>();
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
    if (end > data.length)
      throw new SafetensorsError(`safetensors: truncated: tensor '${name}' ends at byte ${end}; the data has ${data.length}`);
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype, shape, bytes: data.subarray(begin, end) });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== at) throw new SafetensorsError(`safetensors: tensor '${name}' starts at ${begin}; expected ${at} (a gap or an overlap)`);
    at = end;
  }
  if (at !== data.length) throw new SafetensorsError(`safetensors: ${data.length - at} bytes of data are not indexed by any tensor`);
  return { tensors, metadata };
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
  if (options === null || typeof options !== 'object')
    throw new ValueError(`saveSafetensors: options must be an object, got ${String(options)}`);
  const state =
    typeof (source as AnyModule).stateDict === 'function' ? (source as AnyModule).stateDict() : (source as Record<string, Tensor>);
  if (options.metadata !== undefined && !isStringRecord(options.metadata)) {
    throw new ValueError(`saveSafetensors: metadata must map strings to strings, got ${brief(options.metadata)}`);
  }
  for (const name of Object.keys(state)) {
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

/**
 * Loads safetensors bytes into a model. The whole file is parsed and every name, dtype and
 * shape checked against the model before any parameter is written, so a truncated, corrupted
 * or mismatched file throws SafetensorsError and leaves the model as it was. F64 loads into
 * float64 parameters; F32, F16 and BF16 (as PyTorch checkpoints carry them) into float32 ones.
 * Returns the file's metadata.
 *
 * @example
 * ```ts
 * loadSafetensors(model, bytes);
 * ```
 */
export function loadSafetensors(model: AnyModule, bytes: Uint8Array): Record<string, string> {
  const parsed = parseSafetensors(bytes);
  const params = Object.entries(model.stateDict());
  const names = new Set(params.map(([k]) => k));
  const missing = [...names].filter((k) => !parsed.tensors.has(k));
  const unexpected = [...parsed.tensors.keys()].filter((k) => !names.has(k));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new SafetensorsError(`loadSafetensors: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
  }
  for (const [k, p] of params) {
    const e = parsed.tensors.get(k)!;
    if (p.dtype === 'int32') {
      if (e.dtype !== 'I64' && e.dtype !== 'I32') {
        throw new SafetensorsError(`loadSafetensors: '${k}' has dtype ${e.dtype}; the model needs I64 or I32`);
      }
    } else {
      const as = LOADS_AS[e.dtype];
      if (as === undefined) {
        throw new SafetensorsError(`loadSafetensors: '${k}' has dtype ${e.dtype}; F64 (float64) or F32, F16, BF16 (float32) can be loaded`);
      }
      if (as !== p.dtype) {
        throw new SafetensorsError(
          `loadSafetensors: '${k}' has dtype ${e.dtype}, which loads as ${as}; the model holds ${p.dtype} there (convert the model with to('${as}') first)`,
        );
      }
    }
    if (!shapesEqual(e.shape, p.shape))
      throw new SafetensorsError(`loadSafetensors: '${k}' has shape ${fmtShape(e.shape)}; the model needs ${fmtShape(p.shape)}`);
  }
  // every value is converted (and range-checked) before anything is staged or written
  const converted = params.map(([k, p]): [string, Float32Array | Float64Array | Int32Array] => {
    const e = parsed.tensors.get(k)!;
    return [k, p.dtype === 'int32' ? ints(k, e) : values(e)];
  });
  const staged = Object.fromEntries(
    converted.map(([k, data]) => [
      k,
      keep(
        tensor(data, {
          shape: parsed.tensors.get(k)!.shape,
          dtype: data instanceof Int32Array ? 'int32' : data instanceof Float64Array ? 'float64' : 'float32',
        }),
      ),
    ]),
  );
  try {
    model.loadStateDict(staged);
  } finally {
    for (const t of Object.values(staged)) t.dispose();
  }
  return parsed.metadata;
}
