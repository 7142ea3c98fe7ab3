import { MemoryError } from './errors.js';

/** Every block is a multiple of this many bytes and starts on such a boundary (f32x4 loads). */
export const ALIGN = 16;

/** Rounds a byte count up to the allocator's granularity (at least one unit, so every block has an address of its own). */
export function alignedSize(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

/**
 * An explicit allocator over a linear address range [base, end), used for every tensor's data.
 *
 * Freed blocks go on exact-size free lists, so a training loop that allocates the same shapes
 * every step reuses the same blocks at O(1). When neither a free list nor the untouched top
 * has room, free blocks are coalesced (adjacent ones merged, a free block at the top given back
 * to it) and the best fit is split; only then is the range grown through `grow`.
 */
export class BlockAllocator {
  private top: number;
  private readonly freeBySize = new Map<number, number[]>();
  private freeBytes = 0;
  /** Bytes handed out and not yet freed. */
  bytesInUse = 0;
  /** The most bytes ever in use at once. */
  peakBytes = 0;
  /**
   * Blocks a recording (record.ts) holds, by address: how many recordings hold each, its size, and
   * whether its owner has freed it (then it returns to the free lists when the last holder lets go).
   */
  private readonly pins = new Map<number, { holders: number; size: number; freed: boolean }>();
  /** While a recording records: the addresses it holds (every block allocated or freed meanwhile). */
  private holding: number[] | null = null;

  /**
   * @param base first usable address (aligned)
   * @param end current end of the range
   * @param grow called with the end address needed; returns the new end (≥ needed) or throws
   */
  constructor(
    base: number,
    private end: number,
    private readonly grow: (neededEnd: number) => number,
  ) {
    this.top = alignedSize(base);
  }

  /** Returns the address of a block of at least `bytes` bytes, 16-byte aligned. */
  alloc(bytes: number): number {
    const size = alignedSize(bytes);
    const ptr = this.takeFree(size) ?? this.takeTop(size) ?? this.takeAfterCoalescing(size) ?? this.takeGrown(size);
    this.bytesInUse += size;
    if (this.bytesInUse > this.peakBytes) this.peakBytes = this.bytesInUse;
    if (this.holding !== null) this.pin(ptr, size, false);
    return ptr;
  }

  /** Gives back a block obtained from `alloc(bytes)` with the same `bytes`. */
  free(ptr: number, bytes: number): void {
    const size = alignedSize(bytes);
    if (this.pins.size > 0 || this.holding !== null) {
      const pin = this.pins.get(ptr);
      // a held block stays in use (and out of the free lists) until its last holder lets go;
      // a recording that is recording holds whatever is freed meanwhile too
      if (pin) pin.freed = true;
      if (this.holding !== null) this.pin(ptr, size, true);
      if (pin || this.holding !== null) return;
    }
    this.bytesInUse -= size;
    this.pushFree(ptr, size);
  }

  /**
   * Starts holding, for a recording, every block allocated or freed from now until
   * `stopHolding()`: none of them is reused while the recording lives, since replaying it writes
   * them again.
   */
  startHolding(): void {
    this.holding = [];
  }

  /** Stops holding new blocks; returns the addresses held since `startHolding()`. */
  stopHolding(): number[] {
    const held = this.holding ?? [];
    this.holding = null;
    return held;
  }

  /** Lets go of blocks held by `startHolding()`; the ones their owners freed return to the free lists. */
  release(held: readonly number[]): void {
    for (const ptr of held) {
      const pin = this.pins.get(ptr);
      if (!pin || --pin.holders > 0) continue;
      this.pins.delete(ptr);
      if (pin.freed) {
        this.bytesInUse -= pin.size;
        this.pushFree(ptr, pin.size);
      }
    }
  }

  private pin(ptr: number, size: number, freed: boolean): void {
    const pin = this.pins.get(ptr);
    if (pin) pin.holders++;
    else this.pins.set(ptr, { holders: 1, size, freed });
    this.holding!.push(ptr);
  }

  /** Bytes between the base and the highest address ever handed out, free or not. */
  get footprint(): number {
    return this.top;
  }

  private pushFree(ptr: number, size: number): void {
    let list = this.freeBySize.get(size);
    if (!list) {
      list = [];
      this.freeBySize.set(size, list);
    }
    list.push(ptr);
    this.freeBytes += size;
  }

  private takeFree(size: number): number | undefined {
    const list = this.freeBySize.get(size);
    if (!list || list.length === 0) return undefined;
    this.freeBytes -= size;
    return list.pop();
  }

  private takeTop(size: number): number | undefined {
    if (this.top + size > this.end) return undefined;
    const ptr = this.top;
    this.top += size;
    return ptr;
  }

  private takeAfterCoalescing(size: number): number | undefined {
    if (this.freeBytes === 0) return undefined;
    const blocks: Array<[number, number]> = [];
    for (const [s, list] of this.freeBySize) for (const p of list) blocks.push([p, s]);
    blocks.sort((x, y) => x[0] - y[0]);
    this.freeBySize.clear();
    this.freeBytes = 0;
    const merged: Array<[number, number]> = [];
    for (const [p, s] of blocks) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === p) last[1] += s;
      else merged.push([p, s]);
    }
    const tail = merged[merged.length - 1];
    if (tail && tail[0] + tail[1] === this.top) {
      this.top = tail[0];
      merged.pop();
    }
    let best = -1;
    for (let i = 0; i < merged.length; i++) {
      const s = merged[i]![1];
      if (s >= size && (best < 0 || s < merged[best]![1])) best = i;
    }
    let ptr: number | undefined;
    if (best >= 0) {
      const [p, s] = merged[best]!;
      ptr = p;
      merged.splice(best, 1);
      if (s > size) merged.push([p + size, s - size]);
    }
    for (const [p, s] of merged) this.pushFree(p, s);
    return ptr ?? this.takeTop(size);
  }

  private takeGrown(size: number): number {
    const needed = this.top + size;
    const newEnd = this.grow(needed);
    if (newEnd < needed) throw new MemoryError(`alloc: ${size} bytes do not fit in WebAssembly memory`);
    this.end = newEnd;
    const ptr = this.top;
    this.top += size;
    return ptr;
  }
}
