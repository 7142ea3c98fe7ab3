// The tour's words in English and in Chinese. `en` defines the keys and their types; `zh` is
// declared as `Messages`, so a missing key fails the typecheck. Numbers are printed by the same
// code in both languages, so they are identical.

/** A language the tour is printed in. */
export type Lang = 'en' | 'zh';

/** The English catalogue: its shape is the type every other catalogue must have. */
export const en = {
  usage: (optimizers: readonly string[]) =>
    `usage: pnpm start [--model mlp|cnn|poem] [--optimizer ${optimizers.join('|')}] [--seed N] [--epochs N] [--out model.safetensors] [--poems N] [--lang en|zh]`,
  badModel: (got: string) => `--model must be mlp, cnn or poem, got ${got}`,
  badOptimizer: (got: string, optimizers: readonly string[]) => `--optimizer must be one of ${optimizers.join(', ')}, got ${got}`,
  badInteger: (name: string, got: string) => `--${name} must be a non-negative integer, got ${got}`,
  badLang: (got: string) => `--lang must be en or zh, got ${got}`,
  h1: '1. Information and entropy (§1.2)',
  distributions: { peaked: 'peaked', flat: 'flat', 'fair coin': 'fair coin', 'fair die': 'fair die' },
  bits: 'bits',
  maxLog: 'max log2 N',
  h2: '2. Gradient descent on a line fit y = a·x + b, MSE (§2.2, §2.3)',
  data: (a: string, b: string) => `data: 100 points around y = 2x + 1; least squares gives a = ${a}, b = ${b}`,
  fitHeader: ['criterion', 'stop reason', 'iterations', 'a', 'b', 'loss'],
  criteria: {
    'loss change < 1e-10': 'loss change < 1e-10',
    '30 iterations': '30 iterations',
    'η = 2.5 (too large)': 'η = 2.5 (too large)',
  },
  reasons: {
    'loss-tolerance': 'loss-tolerance',
    'grad-tolerance': 'grad-tolerance',
    'max-iterations': 'max-iterations',
    diverged: 'diverged',
  },
  precisionIntro: 'the loss-tolerance criterion (loss change < 1e-10) in float32 and in float64:',
  precisionHeader: ['dtype', 'iterations', 'last loss change', '|a − a*|', '|b − b*|', 'loss'],
  precisionWhy: (o: { n32: number; loss: string; ulp: string; ulp64: string; n64: number; closer: string }) =>
    `float32 stops at ${o.n32} because the loss stops changing at all: near ${o.loss} neighbouring float32 ` +
    `numbers are ${o.ulp} apart, so no change smaller than that can be represented, and 1e-10 is met by rounding, ` +
    `not by convergence. float64 (spacing ${o.ulp64}) keeps descending until the change really is below ` +
    `1e-10, at ${o.n64}, ${o.closer}× closer to the least-squares a.`,
  h3: '3. Minibatch SGD against full-batch GD (§2.4)',
  gdLine: (spark: string, loss: string) => `GD,  40 steps of 100 points: ${spark}  final loss ${loss}`,
  sgdLine: (spark: string, loss: string) => `SGD, 40 steps of 10 points:  ${spark}  final loss ${loss}`,
  sgdWander: (a: string, b: string) => `SGD's steps wander (the drunkard's walk) but head the same way: a = ${a}, b = ${b}`,
  h4: '4. Backpropagation through a 2-3-1 sigmoid network (§2.5)',
  layerName: (name: string) => name,
  value: 'value',
  grad: 'grad',
  ok: 'ok',
  failed: 'FAILED',
  gradcheck: (loss: string, ok: string, err: string) =>
    `loss ${loss}; gradcheck against finite differences in float64: ${ok} (max relative error ${err})`,
  gradcheck32: (ok: string, err: string) =>
    `the same check in float32: ${ok} (max relative error ${err}: ` +
    'float32 finite differences cannot resolve more digits, so only float64 shows the chain rule agreeing to many of them)',
  hCurv: "5. Curvature: the Hessian, the largest learning rate, Newton's method (§3)",
  hessianLine: (h: string, lmax: string, lmin: string, bound: string) =>
    `the line fit's MSE has the Hessian ${h} in (a, b), eigenvalues ${lmax} and ${lmin}: gradient descent converges only for η < 2/λ_max = ${bound}`,
  lineRuns: 'the line fit from (0, 0) until a and b are within 1e-6 of least squares:',
  rosenRuns: "Rosenbrock's valley (1 − x)² + 100(y − x²)² from (−1.2, 1), until ‖∇f‖ < 1e-6:",
  curvHeader: ['method', 'stop reason', 'iterations', 'time', 'error'],
  methods: {
    'gradient descent, η = 0.1': 'gradient descent, η = 0.1',
    'gradient descent, η = 0.001': 'gradient descent, η = 0.001',
    'Adam, η = 0.02': 'Adam, η = 0.02',
    'L-BFGS, strong Wolfe': 'L-BFGS, strong Wolfe',
    Newton: 'Newton',
  } as Record<string, string>,
  seconds: (s: string) => `${s} s`,
  curvWhy: (steps: number) =>
    `one Newton step lands on the minimum of a quadratic; gradient descent needs ${steps} because its slowest direction shrinks by only 1 − η·λ_min per step`,
  poem: {
    heading: '6. 唐詩: a character-level Transformer on Tang quatrains, in bits per character (§1.2)',
    badPoems: (got: string) => `--poems must be an integer of at least 20, got ${got}`,
    corpus: (o: { n: number; dup: number; seed: number; train: number; held: number; heldTitle: string | null }) =>
      `corpus: ${o.n} five-character quatrains (五言絕句) of 全唐詩, chinese-poetry 2.0.1, ${o.dup} repeated text${o.dup === 1 ? '' : 's'} kept once; ` +
      `split by poem (seed ${o.seed}): ${o.train} training / ${o.held} held-out poems${o.heldTitle ? `, 《${o.heldTitle}》 held out on purpose` : ''}`,
    vocabulary: (chars: number, h: string) =>
      `vocabulary: ${chars} training characters and an unknown one; H(X) of the training characters = ${h} bits`,
    bar: 'training |{bar}| {percentage}% | step {value}/{total} | epoch {epoch} loss {loss} bits/token | {duration}s',
    model: (o: {
      layers: number;
      d: number;
      heads: number;
      ctx: number;
      params: string;
      dropout: number;
      epochs: number;
      steps: number;
      seconds: string;
      cpu: string;
    }) =>
      `model: ${o.layers} pre-norm blocks, ${o.d} wide, ${o.heads} heads, context ${o.ctx}, ${o.params} parameters ` +
      `(token embedding tied to the output), dropout ${o.dropout}; AdamW, warm-up + cosine, clipping at norm 1; ${o.epochs} epochs, ${o.steps} steps of 32 poems ` +
      `in ${o.seconds} s (${o.cpu} s of CPU, one thread)`,
    models: { uniform: 'uniform', unigram: 'unigram', bigram: 'bigram', transformer: 'transformer' } as Record<string, string>,
    crossEntropy: (cells: string) => `held-out cross-entropy (bits/char): ${cells}`,
    crossEntropyNote: (chars: number, vsBigram: string, vsUnigram: string) =>
      `(${chars} held-out characters; unigram with add-one smoothing, bigram interpolated with it by Witten–Bell; ` +
      `the transformer is ${vsBigram} bits/char less surprised than the bigram, ${vsUnigram} less than the character distribution)`,
    sampled: '\nsampled at temperature 0.8 from the start token, each ending at the end token:',
    form: (o: { well: number; samples: number; copied: number; lines: number }) =>
      `form: ${o.well} of ${o.samples} samples are well-formed quatrains (4 lines of 5 characters, ，。，。); ` +
      `${o.copied} of ${o.lines} generated lines appear verbatim in the training poems`,
    famous: (title: string, author: string) =>
      `\n《${title}》 ${author}, held out on purpose: −log₂ p of each character (transformer / bigram), in bits`,
    famousTotal: (total: string, per: string, bigram: string) =>
      `  in all ${total} bits (${per} per character) for the transformer, ${bigram} for the bigram`,
    saved: (out: string, bits: string) => `saved ${out}; reloaded into a fresh model with its vocabulary: held-out ${bits} bits/char`,
    reloadDisagrees: 'the reloaded model disagrees with the trained one',
    onnx: (path: string, runtime: string, n: number, diff: string) =>
      `saved ${path}; ONNX Runtime ${runtime} on ${n} held-out poems: next-character probabilities within ${diff} of gd's (max abs difference)`,
    onnxDisagrees: 'ONNX Runtime disagrees with gd on the exported model',
  },
  h5: '6. A network trained on 10,000 real MNIST digits',
  h5cnn: '6. A convolutional network (LeNet-5) trained on 10,000 real MNIST digits',
  split: (seed: number, train: number, test: number) => `split (seed ${seed}): ${train} training / ${test} held-out images`,
  splitCnn: (seed: number, train: number, test: number) =>
    `split (seed ${seed}): ${train} training / ${test} held-out images, seen as 28×28`,
  bar: 'training |{bar}| {percentage}% | step {value}/{total} | epoch {epoch} loss {loss} | {duration}s',
  mlpModel: (sizes: string, epochs: number, steps: number, seconds: string) =>
    `model ${sizes}, Adam + cosine schedule, ${epochs} epochs, ${steps} steps in ${seconds} s`,
  cnnModel: (epochs: number, steps: number, seconds: string, rate: number) =>
    `model LeNet-5 (conv 5×5 1→8, pool, conv 5×5 8→16, pool, 400-120-84-10), Adam + cosine schedule, random 1-pixel shifts, ${epochs} epochs, ` +
    `${steps} steps of 32 in ${seconds} s (${rate} samples/s)`,
  trainAccuracy: (acc: string) => `train accuracy ${acc}%`,
  heldOut: (acc: string) => `held-out accuracy ${acc}%`,
  reloaded: (out: string, acc: string) => `saved ${out}; reloaded into a fresh model: held-out accuracy ${acc}%`,
  reloadDisagrees: 'the reloaded model disagrees with the trained one',
  onnx: (o: { path: string; kib: string; runtime: string; n: number; diff: string; ort: string; gd: string; differ: number }) =>
    `saved ${o.path} (${o.kib} KiB); ONNX Runtime ${o.runtime} on the ${o.n} held-out digits: ` +
    `logits within ${o.diff} of gd's (max abs difference), accuracy ${o.ort}% ` +
    `(gd ${o.gd}%), ${o.differ} predictions differ`,
  onnxDisagrees: 'ONNX Runtime disagrees with gd on the exported model',
  done: (seconds: string) => `done in ${seconds} s`,
};

/** The shape every catalogue has: the keys and argument types of the English one. */
export type Messages = typeof en;

/** The Chinese (简体中文) catalogue, in the tutorial's own terms. */
export const zh: Messages = {
  usage: (optimizers) =>
    `用法：pnpm start [--model mlp|cnn|poem] [--optimizer ${optimizers.join('|')}] [--seed N] [--epochs N] [--out model.safetensors] [--poems N] [--lang en|zh]`,
  badModel: (got: string) => `--model 只能是 mlp、cnn 或 poem，收到的是 ${got}`,
  badOptimizer: (got, optimizers) => `--optimizer 只能是 ${optimizers.join('、')} 之一，收到的是 ${got}`,
  badInteger: (name: string, got: string) => `--${name} 必须是非负整数，收到的是 ${got}`,
  badLang: (got: string) => `--lang 只能是 en 或 zh，收到的是 ${got}`,
  h1: '1. 信息量与熵（§1.2）',
  distributions: { peaked: '尖峰分布', flat: '平坦分布', 'fair coin': '均匀硬币', 'fair die': '均匀骰子' },
  bits: '比特',
  maxLog: '最大值 log2 N',
  h2: '2. 用梯度下降拟合直线 y = a·x + b，均方误差（§2.2，§2.3）',
  data: (a: string, b: string) => `数据：100 个点，散布在 y = 2x + 1 附近；最小二乘法给出 a = ${a}，b = ${b}`,
  fitHeader: ['收敛条件', '停止原因', '迭代次数', 'a', 'b', '损失'],
  criteria: {
    'loss change < 1e-10': '损失变化 < 1e-10',
    '30 iterations': '30 次迭代',
    'η = 2.5 (too large)': 'η = 2.5（太大）',
  },
  reasons: {
    'loss-tolerance': '损失变化小于阈值',
    'grad-tolerance': '梯度范数小于阈值',
    'max-iterations': '达到最大迭代次数',
    diverged: '发散',
  },
  precisionIntro: '损失变化量小于阈值这一收敛条件（损失变化 < 1e-10），分别用 float32 和 float64：',
  precisionHeader: ['类型', '迭代次数', '最后的损失变化', '|a − a*|', '|b − b*|', '损失'],
  precisionWhy: (o: { n32: number; loss: string; ulp: string; ulp64: string; n64: number; closer: string }) =>
    `float32 在第 ${o.n32} 次迭代停止，因为损失完全不再变化：在 ${o.loss} 附近，相邻的 float32 数相差 ${o.ulp}，` +
    `比这更小的变化根本无法表示，所以 1e-10 这个条件是因舍入而满足的，而不是因为收敛。` +
    `float64（间距 ${o.ulp64}）继续下降，直到变化量真正小于 1e-10，在第 ${o.n64} 次迭代停止，a 离最小二乘解近了 ${o.closer} 倍。`,
  h3: '3. 小批量随机梯度下降与全批量梯度下降（§2.4）',
  gdLine: (spark: string, loss: string) => `GD，40 步，每步 100 个点：${spark}  最终损失 ${loss}`,
  sgdLine: (spark: string, loss: string) => `SGD，40 步，每步 10 个点： ${spark}  最终损失 ${loss}`,
  sgdWander: (a: string, b: string) => `SGD 的每一步都在晃（像醉汉走路），但大方向是对的：a = ${a}，b = ${b}`,
  h4: '4. 在 2-3-1 的 sigmoid 网络中反向传播（§2.5）',
  layerName: (name: string) => (name === 'input x' ? '输入 x' : name),
  value: '值',
  grad: '梯度',
  ok: '通过',
  failed: '失败',
  gradcheck: (loss: string, ok: string, err: string) => `损失 ${loss}；在 float64 下用有限差分做梯度检验：${ok}（最大相对误差 ${err}）`,
  gradcheck32: (ok: string, err: string) =>
    `同样的检验在 float32 下：${ok}（最大相对误差 ${err}：` +
    'float32 的有限差分分辨不出更多位数，只有 float64 能显示链式法则在许多位上都一致）',
  hCurv: '5. 曲率：海森矩阵、最大学习率与牛顿法（§3）',
  hessianLine: (h: string, lmax: string, lmin: string, bound: string) =>
    `直线拟合的均方误差对 (a, b) 的海森矩阵是 ${h}，特征值为 ${lmax} 和 ${lmin}：只有 η < 2/λ_max = ${bound} 时梯度下降才收敛`,
  lineRuns: '直线拟合从 (0, 0) 出发，直到 a 和 b 与最小二乘解相差不到 1e-6：',
  rosenRuns: 'Rosenbrock 山谷 (1 − x)² + 100(y − x²)²，从 (−1.2, 1) 出发，直到 ‖∇f‖ < 1e-6：',
  curvHeader: ['方法', '停止原因', '迭代次数', '用时', '误差'],
  methods: {
    'gradient descent, η = 0.1': '梯度下降，η = 0.1',
    'gradient descent, η = 0.001': '梯度下降，η = 0.001',
    'Adam, η = 0.02': 'Adam，η = 0.02',
    'L-BFGS, strong Wolfe': 'L-BFGS，强 Wolfe 线搜索',
    Newton: '牛顿法',
  },
  seconds: (s: string) => `${s} 秒`,
  curvWhy: (steps: number) => `对二次函数，牛顿法一步就落在最小值上；梯度下降要 ${steps} 步，因为它最慢的方向每步只缩小为 1 − η·λ_min 倍`,
  poem: {
    heading: '6. 唐诗：在唐人绝句上训练的字符级 Transformer，以每字比特计（§1.2）',
    badPoems: (got: string) => `--poems 必须是不小于 20 的整数，收到的是 ${got}`,
    corpus: (o: { n: number; dup: number; seed: number; train: number; held: number; heldTitle: string | null }) =>
      `语料：全唐詩中的 ${o.n} 首五言絕句（chinese-poetry 2.0.1），${o.dup} 首重复的只保留一次；` +
      `按诗划分（种子 ${o.seed}）：${o.train} 首训练 / ${o.held} 首留出${o.heldTitle ? `，特意留出《${o.heldTitle}》` : ''}`,
    vocabulary: (chars: number, h: string) => `字表：${chars} 个训练集中的字外加一个未知字；训练集字分布的熵 H(X) = ${h} 比特`,
    bar: '训练 |{bar}| {percentage}% | 第 {value}/{total} 步 | 第 {epoch} 轮 损失 {loss} 比特/字 | {duration} 秒',
    model: (o: {
      layers: number;
      d: number;
      heads: number;
      ctx: number;
      params: string;
      dropout: number;
      epochs: number;
      steps: number;
      seconds: string;
      cpu: string;
    }) =>
      `模型：${o.layers} 个前置归一化的块，宽 ${o.d}，${o.heads} 个注意力头，上下文 ${o.ctx}，${o.params} 个参数` +
      `（字嵌入与输出层共用），dropout ${o.dropout}；AdamW，预热 + 余弦学习率，梯度裁剪到范数 1；${o.epochs} 轮，${o.steps} 步，每步 32 首诗，` +
      `用时 ${o.seconds} 秒（CPU ${o.cpu} 秒，单线程）`,
    models: { uniform: '均匀分布', unigram: '一元模型', bigram: '二元模型', transformer: 'Transformer' },
    crossEntropy: (cells: string) => `留出集上的交叉熵（比特/字）：${cells}`,
    crossEntropyNote: (chars: number, vsBigram: string, vsUnigram: string) =>
      `（留出集共 ${chars} 个字；一元模型用加一平滑，二元模型用 Witten–Bell 与之插值；` +
      `Transformer 比二元模型每字少 ${vsBigram} 比特的意外，比字的分布少 ${vsUnigram} 比特）`,
    sampled: '\n从起始标记开始、温度 0.8 采样，每首在结束标记处停止：',
    form: (o: { well: number; samples: number; copied: number; lines: number }) =>
      `格式：${o.samples} 首采样中有 ${o.well} 首是合格的绝句（4 句，每句 5 字，，。，。）；` +
      `生成的 ${o.lines} 句中有 ${o.copied} 句与训练集中的诗句完全相同`,
    famous: (title: string, author: string) =>
      `\n《${title}》${author}，特意留出：每个字的信息量 −log₂ p（Transformer / 二元模型），单位比特`,
    famousTotal: (total: string, per: string, bigram: string) => `  Transformer 合计 ${total} 比特（每字 ${per}），二元模型 ${bigram}`,
    saved: (out: string, bits: string) => `已保存 ${out}；重新载入到一个新模型（连同字表）：留出集 ${bits} 比特/字`,
    reloadDisagrees: '重新载入的模型与训练好的模型不一致',
    onnx: (path: string, runtime: string, n: number, diff: string) =>
      `已保存 ${path}；ONNX Runtime ${runtime} 在 ${n} 首留出的诗上：下一个字的概率与 gd 的相差不超过 ${diff}（最大绝对差）`,
    onnxDisagrees: 'ONNX Runtime 在导出的模型上与 gd 不一致',
  },
  h5: '6. 在 10,000 个真实 MNIST 手写数字上训练的网络',
  h5cnn: '6. 在 10,000 个真实 MNIST 手写数字上训练的卷积网络（LeNet-5）',
  split: (seed: number, train: number, test: number) => `划分（种子 ${seed}）：${train} 张训练图像 / ${test} 张留出图像`,
  splitCnn: (seed: number, train: number, test: number) =>
    `划分（种子 ${seed}）：${train} 张训练图像 / ${test} 张留出图像，按 28×28 的图像读入`,
  bar: '训练 |{bar}| {percentage}% | 第 {value}/{total} 步 | 第 {epoch} 轮 损失 {loss} | {duration} 秒',
  mlpModel: (sizes: string, epochs: number, steps: number, seconds: string) =>
    `模型 ${sizes}，Adam + 余弦学习率调度，${epochs} 轮，${steps} 步，用时 ${seconds} 秒`,
  cnnModel: (epochs: number, steps: number, seconds: string, rate: number) =>
    `模型 LeNet-5（卷积 5×5 1→8，池化，卷积 5×5 8→16，池化，400-120-84-10），Adam + 余弦学习率调度，随机平移 1 个像素，${epochs} 轮，` +
    `${steps} 步（每步 32 个样本），用时 ${seconds} 秒（每秒 ${rate} 个样本）`,
  trainAccuracy: (acc: string) => `训练集准确率 ${acc}%`,
  heldOut: (acc: string) => `留出集准确率 ${acc}%`,
  reloaded: (out: string, acc: string) => `已保存 ${out}；载入一个新模型后：留出集准确率 ${acc}%`,
  reloadDisagrees: '重新载入的模型与训练得到的模型不一致',
  onnx: (o: { path: string; kib: string; runtime: string; n: number; diff: string; ort: string; gd: string; differ: number }) =>
    `已保存 ${o.path}（${o.kib} KiB）；ONNX Runtime ${o.runtime} 在 ${o.n} 个留出数字上：` +
    `logits 与 gd 的相差不超过 ${o.diff}（最大绝对差），准确率 ${o.ort}%` +
    `（gd ${o.gd}%），${o.differ} 个预测不同`,
  onnxDisagrees: 'ONNX Runtime 对导出的模型给出的结果与 gd 不一致',
  done: (seconds: string) => `完成，用时 ${seconds} 秒`,
};

/** The word for a key of a small map of the catalogue (a name, a reason); the key itself if it has none. */
export function pick(map: Record<string, string>, key: string): string {
  return map[key] ?? key;
}

/** Both catalogues, by language. */
export const CATALOGUES: Record<Lang, Messages> = { en, zh };

/**
 * The tour's language: `--lang` first, then GD_LANG, then a LANG that starts with "zh" (zh_CN.UTF-8,
 * zh_TW…); English otherwise. Returns undefined for a `--lang` or GD_LANG that names no language.
 */
export function pickLang(flag: string | undefined, env: Record<string, string | undefined>): Lang | undefined {
  const norm = (s: string) => (s.toLowerCase().startsWith('zh') ? 'zh' : s.toLowerCase().startsWith('en') ? 'en' : undefined);
  if (flag !== undefined) return norm(flag);
  if (env.GD_LANG) return norm(env.GD_LANG);
  return env.LANG?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** The width of a text in a terminal: a Chinese character takes two columns. */
export function columns(s: string): number {
  let n = 0;
  for (const ch of s) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return n;
}

/** padEnd by terminal columns, so Chinese and English columns line up alike. */
export const padCols = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - columns(s)));
