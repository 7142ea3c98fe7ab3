// Writes public/digits.bin for the page: the 10,000 MNIST digits of the `mnist` package as
// bytes (pixel·255, which is how MNIST stores them) followed by their 10,000 labels.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDigits } from '@gd/lessons/mnist';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'digits.bin');
const { images, labels } = readDigits();
const bytes = new Uint8Array(images.length + labels.length);
for (let i = 0; i < images.length; i++) bytes[i] = Math.round(images[i] * 255);
bytes.set(labels, images.length);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bytes);
console.log(`digits: ${labels.length} images → ${out} (${bytes.length} bytes)`);
