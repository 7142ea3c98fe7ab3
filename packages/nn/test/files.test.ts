import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, memory, StateError, tensor, ValueError } from '@gd/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNorm1d, Linear, Module, mlp, ReLU, SafetensorsError, Sequential, saveSafetensors } from '../src/index.js';
import { loadSafetensorsFile, loadSafetensorsFileSync, saveSafetensorsFile, saveSafetensorsFileSync } from '../src/node.js';
import { toOnnx } from '../src/onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'gd-nn-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const values = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data())]));

/** A model with float64 weights and an int32 buffer (BatchNorm's count), trained one batch so nothing is zero. */
function model(seed: number): Module {
  manualSeed(seed);
  const m = new Sequential(new Linear(3, 5, { dtype: 'float64' }), new BatchNorm1d(5, { dtype: 'float64' }), new ReLU());
  m.forward(
    tensor(
      [
        [1, 2, 3],
        [0.5, -1, 2],
      ],
      { dtype: 'float64' },
    ),
  );
  return m;
}

describe('safetensors files are read in parts', () => {
  it('loads with reads of a few bytes each, async and sync, every value and the metadata intact', async () => {
    const a = model(1);
    const path = join(dir, 'parts.safetensors');
    await saveSafetensorsFile(path, a, { metadata: { epoch: '3' } });
    for (const chunkBytes of [1, 7, 4096]) {
      const b = model(2);
      expect(values(b)).not.toEqual(values(a));
      expect(await loadSafetensorsFile(b, path, { chunkBytes })).toEqual({ epoch: '3' });
      expect(values(b)).toEqual(values(a));
      const c = model(3);
      expect(loadSafetensorsFileSync(c, path, { chunkBytes })).toEqual({ epoch: '3' });
      expect(values(c)).toEqual(values(a));
    }
  });

  it('a file over 2 GiB is not refused for its size: its header is checked before any of its data is read', async () => {
    // a sparse 3 GiB file whose header names a tensor the model lacks: readFile threw an untyped
    // RangeError on its size; the header is now read alone and the mismatch named
    const path = join(dir, 'large.safetensors');
    const size = 3 * 2 ** 30;
    const length = 80;
    const data = size - 8 - length;
    const header = new TextEncoder().encode(
      JSON.stringify({ big: { dtype: 'F32', shape: [data / 4], data_offsets: [0, data] } }).padEnd(length),
    );
    expect(header.length).toBe(length);
    const fd = openSync(path, 'w');
    const head = new Uint8Array(8 + length);
    new DataView(head.buffer).setBigUint64(0, BigInt(length), true);
    head.set(header, 8);
    writeSync(fd, head, 0, head.length, 0);
    writeSync(fd, new Uint8Array(1), 0, 1, size - 1);
    closeSync(fd);
    const m = new Linear(2, 1);
    const before = values(m);
    await expect(loadSafetensorsFile(m, path)).rejects.toThrow(SafetensorsError);
    await expect(loadSafetensorsFile(m, path)).rejects.toThrow(/missing \[weight, bias\], unexpected \[big\]/);
    expect(() => loadSafetensorsFileSync(m, path)).toThrow(/missing \[weight, bias\], unexpected \[big\]/);
    expect(values(m)).toEqual(before);
    rmSync(path);
  });

  it('a truncated file and a bad chunk size are typed errors, the model unchanged and nothing left allocated', async () => {
    const a = model(1);
    const path = join(dir, 'truncated.safetensors');
    const bytes = saveSafetensors(a);
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    const b = model(2);
    const before = values(b);
    const start = memory();
    await expect(loadSafetensorsFile(b, path, { chunkBytes: 5 })).rejects.toThrow(/truncated/);
    expect(() => loadSafetensorsFileSync(b, path)).toThrow(SafetensorsError);
    expect(values(b)).toEqual(before);
    expect(memory().tensors).toBe(start.tensors);
    await expect(loadSafetensorsFile(b, path, { chunkBytes: 0 })).rejects.toThrow(ValueError);
    expect(() => loadSafetensorsFileSync(b, path, { chunkBytes: 1.5 })).toThrow(/chunkBytes must be an integer/);
  });
});

describe('saving: fsync, rename, and what a killed save left behind is cleared by the next', () => {
  it('removes the temporary files of dead processes, keeps those of live ones, and leaves only the model', async () => {
    const sub = mkdtempSync(join(dir, 'save-'));
    const path = join(sub, 'model.safetensors');
    // a process that has exited: its pid names a temporary file no save owns any more
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const leftover = `.model.safetensors.${dead}.0123456789ab.tmp`;
    // the parent of this process is alive: its temporary file may be a save under way
    const live = `.model.safetensors.${process.ppid}.0123456789ab.tmp`;
    const unrelated = '.other.safetensors.1.0123456789ab.tmp';
    for (const name of [leftover, live, unrelated]) writeFileSync(join(sub, name), 'partial');
    const a = model(1);
    await saveSafetensorsFile(path, a);
    expect(readdirSync(sub).sort()).toEqual([live, unrelated, 'model.safetensors'].sort());
    writeFileSync(join(sub, leftover), 'partial');
    saveSafetensorsFileSync(path, a);
    expect(readdirSync(sub).sort()).toEqual([live, unrelated, 'model.safetensors'].sort());
    expect(new Uint8Array(readFileSync(path))).toEqual(saveSafetensors(a));
  });
});

describe('a save is on disk before it takes the name', () => {
  it('flushes the temporary file (fsync) before renaming it over the target', async () => {
    const sub = mkdtempSync(join(dir, 'fsync-'));
    const path = join(sub, 'model.safetensors');
    // FileHandle is not exported: patch its prototype's sync() through a handle
    const probe = await open(join(sub, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    rmSync(join(sub, 'probe'));
    const seen: Array<{ targetExists: boolean; files: string[] }> = [];
    const original = proto.sync;
    proto.sync = function (this: unknown) {
      seen.push({ targetExists: existsSync(path), files: readdirSync(sub) });
      return original.call(this);
    };
    try {
      await saveSafetensorsFile(path, model(1));
    } finally {
      proto.sync = original;
    }
    // the first sync is the temporary file's, while the target does not exist yet; the folder may follow
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen[0]!.targetExists).toBe(false);
    expect(seen[0]!.files).toHaveLength(1);
    expect(seen[0]!.files[0]).toMatch(/^\.model\.safetensors\.\d+\.[0-9a-f]{12}\.tmp$/);
    expect(readdirSync(sub)).toEqual(['model.safetensors']);
  });
});

describe('a load that was not awaited is loud', () => {
  it('the model refuses to run forward until the load has finished, then runs on the loaded weights', async () => {
    const a = mlp([2, 3, 1]);
    const path = join(dir, 'pending.safetensors');
    saveSafetensorsFileSync(path, a);
    const b = mlp([2, 3, 1]);
    const x = tensor([[1, -1]]);
    const loading = loadSafetensorsFile(b, path);
    expect(() => b.forward(x)).toThrow(StateError);
    expect(() => b.forward(x)).toThrow(/Sequential\.forward: a safetensors load into this model has not finished .*await it/);
    // each layer too
    expect(() => b.children()[0]!.forward(x)).toThrow(/Linear\.forward: .*not finished/);
    await loading;
    expect(b.forward(x).value.toArray()).toEqual(a.forward(x).value.toArray());
  });

  it('a failed load lets the model run again (on its own weights), and a sync load never blocks it', async () => {
    const b = mlp([2, 1]);
    const x = tensor([[1, 2]]);
    const before = b.forward(x).value.toArray();
    const missing = loadSafetensorsFile(b, join(dir, 'no-such-file.safetensors'));
    expect(() => b.forward(x)).toThrow(StateError);
    await expect(missing).rejects.toThrow(/ENOENT/);
    expect(b.forward(x).value.toArray()).toEqual(before);
    const path = join(dir, 'sync.safetensors');
    const a = mlp([2, 1]);
    saveSafetensorsFileSync(path, a);
    loadSafetensorsFileSync(b, path);
    expect(b.forward(x).value.toArray()).toEqual(a.forward(x).value.toArray());
  });

  it('exporting a model whose load is under way fails with the StateError, and leaves the refusal in place', async () => {
    const a = mlp([2, 3, 1]);
    const path = join(dir, 'pending-export.safetensors');
    saveSafetensorsFileSync(path, a);
    const b = mlp([2, 3, 1]);
    const x = tensor([[1, -1]]);
    const loading = loadSafetensorsFile(b, path);
    expect(() => toOnnx(b, { inputShape: [1, 2] })).toThrow(StateError);
    expect(() => toOnnx(b, { inputShape: [1, 2] })).toThrow(
      /toOnnx: .*Sequential\.forward: a safetensors load into this model has not finished/,
    );
    // the export's own wrapping of forward is gone, and the load's refusal is not
    expect(() => b.forward(x)).toThrow(StateError);
    expect(() => b.children()[0]!.forward(x)).toThrow(StateError);
    await loading;
    expect(b.forward(x).value.toArray()).toEqual(a.forward(x).value.toArray());
    const modules = [b, ...b.children()];
    expect(modules.filter((m) => Object.hasOwn(m, 'forward'))).toEqual([]);
    // and it exports the loaded weights
    expect(toOnnx(b, { inputShape: [1, 2] })).toEqual(toOnnx(a, { inputShape: [1, 2] }));
  });

  it('a load started while the model is being exported refuses the rest of the trace, then the model runs on the loaded weights', async () => {
    const a = mlp([2, 3, 1]);
    const path = join(dir, 'load-in-trace.safetensors');
    saveSafetensorsFileSync(path, a);
    class Loads extends Module {
      net = mlp([2, 3, 1]);
      load: Promise<unknown> | null = null;
      forward(x: Parameters<Module['forward']>[0]) {
        this.load ??= loadSafetensorsFile(this.net, path);
        return this.net.forward(x);
      }
    }
    const b = new Loads();
    const x = tensor([[1, -1]]);
    expect(() => toOnnx(b, { inputShape: [1, 2] })).toThrow(
      /toOnnx: .*Sequential\.forward: a safetensors load into this model has not finished/,
    );
    expect(b.load).not.toBeNull();
    expect(() => b.net.forward(x)).toThrow(StateError);
    await b.load;
    expect(b.forward(x).value.toArray()).toEqual(a.forward(x).value.toArray());
    const modules = [b, b.net, ...b.net.children()];
    expect(modules.filter((m) => Object.hasOwn(m, 'forward'))).toEqual([]);
    expect(toOnnx(b.net, { inputShape: [1, 2] })).toEqual(toOnnx(a, { inputShape: [1, 2] }));
  });

  it('two loads under way: the model runs only once both have finished', async () => {
    const a = mlp([2, 1]);
    const path = join(dir, 'twice.safetensors');
    saveSafetensorsFileSync(path, a);
    const b = mlp([2, 1]);
    const x = tensor([[1, 2]]);
    let firstDone = false;
    const first = loadSafetensorsFile(b, path, { chunkBytes: 1 }).then(() => {
      firstDone = true;
    });
    const second = loadSafetensorsFile(b, path);
    await second;
    // the first, reading a byte at a time, is usually still under way: the model still refuses
    if (!firstDone) expect(() => b.forward(x)).toThrow(StateError);
    await first;
    expect(b.forward(x).value.toArray()).toEqual(a.forward(x).value.toArray());
    // and a module whose own forward is a field keeps it
    const c = mlp([2, 1]);
    const own = () => c.children()[0]!.forward(x);
    Object.defineProperty(c, 'forward', { value: own, writable: true, configurable: true });
    const pending = loadSafetensorsFile(c, path);
    expect(() => c.forward(x)).toThrow(StateError);
    await pending;
    expect(c.forward).toBe(own);
  });
});
