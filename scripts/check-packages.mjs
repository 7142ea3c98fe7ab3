// Packaging check for every public package: publint, are-the-types-wrong, then `pnpm pack`,
// install of all tarballs into a blank project outside the workspace, and an example run there
// under Node ESM and under Node CJS; then the changesets release flow on a clone. Every other
// package under packages/ must be listed as private and say "private": true.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packages = ['tensor', 'autograd', 'losses', 'optim', 'nn'];
/** Workspace packages shared by the apps or by the tests, never published. */
const privatePackages = ['lessons', 'testing'];
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const bin = (name) => join(root, 'node_modules', '.bin', name);

/**
 * The release flow on a clone of HEAD: a changeset bumps @gd/tensor (minor) and @gd/autograd
 * (patch); `changeset version` must write their CHANGELOGs, bump dependants, and leave the
 * private app alone. Nothing here needs the network.
 */
function checkReleaseFlow(dir) {
  run('git', ['clone', '--quiet', root, dir], root);
  writeFileSync(
    join(dir, '.changeset', 'check-release.md'),
    "---\n'@gd/tensor': minor\n'@gd/autograd': patch\n---\n\nA release note from the packaging check.\n",
  );
  run(bin('changeset'), ['version'], dir);
  const version = (p) => JSON.parse(readFileSync(join(dir, p, 'package.json'), 'utf8')).version;
  const log = readFileSync(join(dir, 'packages', 'tensor', 'CHANGELOG.md'), 'utf8');
  const before = (p) => JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8')).version;
  const [major, minor] = before('packages/tensor').split('.').map(Number);
  if (version('packages/tensor') !== `${major}.${minor + 1}.0` || !log.includes('A release note from the packaging check.')) {
    throw new Error(`changeset version: @gd/tensor is ${version('packages/tensor')}; CHANGELOG:\n${log}`);
  }
  if (version('packages/nn') === before('packages/nn')) throw new Error('changeset version: dependants of @gd/tensor were not bumped');
  for (const p of ['apps/tutorial', ...privatePackages.map((name) => `packages/${name}`)]) {
    if (existsSync(join(dir, p, 'CHANGELOG.md'))) throw new Error(`changeset version: the private ${p} got a CHANGELOG`);
    if (version(p) !== before(p)) throw new Error(`changeset version: the private ${p} was bumped`);
  }
  console.log(
    `check-packages: changeset version wrote CHANGELOGs (@gd/tensor ${version('packages/tensor')}, @gd/nn ${version('packages/nn')})`,
  );
}

/** Every package under packages/ is either checked as public here or marked private, so no release publishes it by accident. */
function checkPrivate() {
  for (const name of readdirSync(join(root, 'packages'))) {
    if (packages.includes(name)) continue;
    const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
    if (!privatePackages.includes(name) || manifest.private !== true) {
      throw new Error(`packages/${name} is neither checked as public nor listed and marked "private": true`);
    }
    console.log(`check-packages: ${manifest.name} is private (not packed, not published)`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'gd-pack-'));
try {
  checkPrivate();
  const tarballs = [];
  for (const name of packages) {
    const dir = join(root, 'packages', name);
    run(bin('publint'), ['--strict'], dir);
    run(bin('attw'), ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped'], dir);
    run('pnpm', ['pack', '--pack-destination', work], dir);
    const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    tarballs.push(join(work, `gd-${name}-${version}.tgz`));
    console.log(`check-packages: @gd/${name} passes publint and attw`);
  }
  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'gd-pack-check', private: true, version: '0.0.0' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], app);
  const installed = readdirSync(join(app, 'node_modules', '@gd')).sort();
  if (installed.join() !== [...packages].sort().join()) throw new Error(`installed @gd packages: ${installed}`);
  const body = `
await ready();
manualSeed(1);
const x = randn([64, 3]);
const y = x.matmul(tensor([[1], [-2], [0.5]])).add(0.25);
const model = mlp([3, 1]);
const r = minimize(() => mse(model.forward(x), y), model, { lr: 0.1, gradTolerance: 1e-4, maxIterations: 5000 });
const w = Array.from(model.parameters()[0].value.data()).map((v) => v.toFixed(2)).join(',');
const h = entropy([0.5, 0.5]);
const g = variable([3]); g.square().sum().backward();
const bytes = saveSafetensors(model);
if (r.reason !== 'grad-tolerance' || w !== '1.00,-2.00,0.50' || h !== 1 || g.grad.item() !== 6 || bytes.length < 16) {
  throw new Error('example gave ' + JSON.stringify({ reason: r.reason, w, h, g: g.grad.item() }));
}
// the ONNX entry must know the main entry's classes (one copy of them across entry points)
const onnx = toOnnx(model, { inputShape: [1, 3] });
if (!(onnx instanceof Uint8Array) || onnx.length < 16) throw new Error('toOnnx gave ' + onnx);
console.log('example ok:', r.reason, 'after', r.iterations, 'iterations, w =', w, '; ONNX', onnx.length, 'bytes');
`;
  writeFileSync(
    join(app, 'example.mjs'),
    `import { ready, tensor, randn, manualSeed } from '@gd/tensor';
import { variable } from '@gd/autograd';
import { mse, entropy } from '@gd/losses';
import { minimize } from '@gd/optim';
import { mlp, saveSafetensors } from '@gd/nn';
import { toOnnx } from '@gd/nn/onnx';
${body}`,
  );
  writeFileSync(
    join(app, 'example.cjs'),
    `const { ready, tensor, randn, manualSeed } = require('@gd/tensor');
const { variable } = require('@gd/autograd');
const { mse, entropy } = require('@gd/losses');
const { minimize } = require('@gd/optim');
const { mlp, saveSafetensors } = require('@gd/nn');
const { toOnnx } = require('@gd/nn/onnx');
(async () => {${body}})().catch((e) => { console.error(e); process.exit(1); });`,
  );
  console.log(`check-packages: ESM  ${run('node', ['example.mjs'], app).trim()}`);
  console.log(`check-packages: CJS  ${run('node', ['example.cjs'], app).trim()}`);
  checkReleaseFlow(join(work, 'release'));
} catch (e) {
  console.error(`check-packages failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
