// The float64 rows: matmul and the MLP step in double precision, gd against jax-js (float64 on
// its wasm device); TensorFlow.js has no float64. jax-js's `np.array` names `Float16Array`, which
// Node 20 lacks, so in Node its cells read "unsupported: Float16Array is not defined".
import { mlp } from '@gd/nn';
import { SGD } from '@gd/optim';
import { tensor } from '@gd/tensor';
import type { Instance, PeerName, Workload } from './harness.js';
import { jaxMatmul64, jaxMlpStep64, type ReadMode } from './jax.js';
import { type Batch, gdClassifierStep, gdMatmul } from './peers.js';

/** The float64 matmul's size: n = 512 (2·512³ flops a product). */
export const FLOAT64_MATMUL_N = 512;

/** gd's float64 product C = A·B of two n×n normal matrices, read back. */
export function gdMatmul64(n: number): Instance {
  return gdMatmul(n, 'float64');
}

/** gd's MLP 784-128-10 training step with float64 parameters and inputs. */
export function gdMlpStep64(batch: Batch): Instance {
  const model = mlp([784, 128, 10], { activation: 'relu', dtype: 'float64' });
  return gdClassifierStep(
    model,
    new SGD(model, { lr: 0.01 }),
    tensor(Float64Array.from(batch.x), { shape: [batch.n, 784], dtype: 'float64' }),
    tensor(batch.y),
  );
}

/** The two float64 rows, on gd and jax-js where they are among the run's peers. */
export function float64Workloads(o: { peers: readonly PeerName[]; batchOf: (n: number) => Batch; jaxRead?: ReadMode }): Workload[] {
  const peers = (['gd', 'jax-js'] as const).filter((p) => o.peers.includes(p));
  if (!peers.includes('gd')) return [];
  const n = FLOAT64_MATMUL_N;
  return [
    {
      group: 'matmul',
      label: `matmul n=${n}, float64`,
      unit: 'GFLOP/s',
      peers: [...peers],
      metric: (ms) => (2 * n ** 3) / ms / 1e6,
      make: (p) => (p === 'gd' ? gdMatmul64(n) : jaxMatmul64(n, o.jaxRead ?? 'sync')),
    },
    {
      group: 'mlp',
      label: 'MLP 784-128-10 step, batch 128, float64',
      unit: 'samples/s',
      peers: [...peers],
      metric: (ms) => (128 * 1000) / ms,
      make: (p) => (p === 'gd' ? gdMlpStep64(o.batchOf(128)) : jaxMlpStep64(o.batchOf(128), o.jaxRead ?? 'sync')),
    },
  ];
}
