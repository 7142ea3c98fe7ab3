import { crossEntropy } from '@gd/losses';
import { SGD } from '@gd/optim';
import { manualSeed, randint, randn, ready, scope, memory } from '@gd/tensor';
import { lenet } from './dist/cnn.js';
await ready();
manualSeed(1);
// the bench model: no 84 layer
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@gd/nn';
const model = new Sequential(new Conv2d(1, 8, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2), new Conv2d(8, 16, 5), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(400, 120), new ReLU(), new Linear(120, 10));
const opt = new SGD(model, { lr: 0.01 });
const x = randn([32, 1, 28, 28]); const y = randint(0, 10, [32]);
const step = () => scope(() => { opt.zeroGrad(); const loss = crossEntropy(model.forward(x), y); loss.backward(); opt.step(); loss.item(); });
for (let i = 0; i < 20; i++) step();
let best = Infinity;
for (let r = 0; r < 5; r++) { const c0 = process.cpuUsage(); const t0 = performance.now(); for (let i = 0; i < 40; i++) step(); const c = process.cpuUsage(c0); best = Math.min(best, (c.user + c.system) / 1000 / 40); }
console.log('LeNet step batch 32: CPU ms', best.toFixed(2), 'samples/s', Math.round(32 / best * 1000), memory().bytesInUse);
void lenet;
