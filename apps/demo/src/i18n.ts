// The page's words in English and in Chinese: one catalogue per language. `en` defines the keys
// and their types; `zh` is declared as `Messages`, so a key missing from it fails the typecheck.
// Numbers and formulas are not here: they are the same in both languages.

/** A language the page is shown in. */
export type Lang = 'en' | 'zh-CN';

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** The English catalogue: its shape is the type every other catalogue must have. */
export const en = {
  page: {
    title: 'gd — gradient descent, taught by running it',
    intro: 'Every number on this page is computed by the gd packages, running in your browser on WebAssembly.',
    lessons: 'Lessons',
    nav: [
      '1 Information',
      '2 Cross-entropy',
      '3 Gradient descent',
      '4 GD · SGD · momentum · Adam',
      '5 Backpropagation',
      '6 Playground',
      '7 Digits',
      '8 Poems',
    ],
    starting: 'Starting the WebAssembly kernels…',
    ready: 'Ready: every lesson below runs gd in this page.',
    failed: 'gd could not start: ',
    seedBefore: 'Randomness in gd is seeded and runs inside its WebAssembly module: ',
    seedThen: ' then ',
    seedGives: ' gives ',
    seedAfter: ' here and in Node, bit for bit.',
    language: 'Language',
    threads: (n: number, simd: string) =>
      `Training runs in a Web Worker on ${n} ${plural(n, 'thread', 'threads')} (${simd} SIMD): this page is cross-origin isolated, so gd's threads share its memory.`,
    oneThread: (simd: string) =>
      `Training runs in a Web Worker on one thread (${simd} SIMD): this page is not cross-origin isolated, so threads cannot share memory. Served with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, it trains on every core.`,
    glossary: 'Glossary: the tutorial’s terms in Chinese and English',
    glossaryZh: 'Chinese',
    glossaryEn: 'English',
    /** How the page introduces an error message of the gd library (which stays in English). */
    libraryError: '',
  },
  check: {
    empty: (what: string, accepts: string) => `Type ${accepts} for ${what}.`,
    notNumber: (t: string, accepts: string, example: string) =>
      `“${t}” is not a number. Type ${accepts} in decimal digits, like ${example}.`,
    underflow: (t: string, accepts: string) => `“${t}” is too close to 0 to be held as a number. Type ${accepts}.`,
    whole: (what: string, example: number, accepts: string) => `${cap(what)} must be a whole number, like ${example}: ${accepts}.`,
    moreThan0: (what: string, accepts: string) => `${cap(what)} must be more than 0: ${accepts}.`,
    moreThan: (what: string, min: number, accepts: string) => `${cap(what)} must be more than ${min}: ${accepts}.`,
    atLeast: (what: string, min: number, accepts: string) => `${cap(what)} must be at least ${min}: ${accepts}.`,
    atMost: (what: string, max: number | undefined, reason: string) =>
      `${cap(what)} must be at most ${max ?? 'a finite number'}${reason ? ` ${reason}` : ''}.`,
    /** What a field accepts: "a whole number from 1 to 50", "a number above 0, up to 100". */
    accepts: (o: { integer: boolean; min?: number; above: boolean; max?: number }) => {
      const kind = o.integer ? 'a whole number' : 'a number';
      if (o.min === undefined) return o.max === undefined ? kind : `${kind} up to ${o.max}`;
      if (o.above) return o.max === undefined ? `${kind} above ${o.min}` : `${kind} above ${o.min}, up to ${o.max}`;
      return o.max === undefined ? `${kind} from ${o.min} up` : `${kind} from ${o.min} to ${o.max}`;
    },
    distEmpty: (name: string) => `Type the probabilities of ${name}, separated by commas, like 0.5, 0.5.`,
    distNotNumber: (t: string) => `“${t}” is not a number. Use decimal digits, like 0.25.`,
    distUnderflow: (t: string) => `“${t}” is too close to 0 to be held as a number: type 0 or a value like 0.001.`,
    distTwo: (name: string) => `${cap(name)} needs at least two outcomes.`,
    distMany: (name: string) => `${cap(name)} can have at most 26 outcomes.`,
    distNegative: 'A probability cannot be negative.',
    distLarge: 'That number is too large: use values like 0.2.',
    distZero: 'At least one outcome must have a probability above 0.',
  },
  info: {
    title: '1. Information content and entropy',
    p1: 'The less likely an outcome, the more information it carries: ',
    p1end: '.',
    p2: 'Entropy is the expected information, the uncertainty of the whole system: ',
    p2end: '. It is largest, log_b N, when all N outcomes are equally likely.',
    unit: 'unit',
    units: { bits: 'bits', nats: 'nats', hartleys: 'hartleys' },
    unitOptions: { bits: 'bits (base 2)', nats: 'nats (base e)', hartleys: 'hartleys (base 10)' },
    probs: 'P(x₁), P(x₂), … (rescaled to sum to 1)',
    probsAria: 'probabilities, comma separated',
    presets: 'presets',
    presetNames: { peaked: 'peaked', flat: 'flat', 'fair coin': 'fair coin', 'fair die': 'fair die', 'uniform 4': 'uniform 4' },
    maximum: (max: string, unit: string) => `   ·   maximum log_b N = ${max} ${unit}`,
    barsNote: (unit: string) =>
      `The bars and their labels: the probability P(x) of each outcome; the line above, the information content I(x) = −log_b P(x) of each, in ${unit}. Drag a bar or type to change the distribution.`,
    contentOf: (unit: string) => `Information content I(x), in ${unit}: `,
    distribution: 'the distribution',
  },
  ce: {
    title: '2. Cross-entropy',
    p1: 'Cross-entropy measures how far a predicted distribution Ŷ is from the true Y: ',
    p1end: '. It equals the entropy of Y plus the KL divergence, so it is smallest when the prediction matches.',
    trueY: 'true Y',
    predicted: 'predicted Ŷ',
    mix: 'move Ŷ toward Y',
    mismatch: (ny: number, nq: number) => `Ŷ needs as many outcomes as Y: Y has ${ny}, Ŷ has ${nq}.`,
    infinite: (x: string) =>
      `Infinity: Ŷ gives ${x} probability 0 where Y does not, and log 0 = −∞, so the term −Y(${x})·log Ŷ(${x}) is infinite — a prediction certain that something cannot happen is infinitely wrong when it does. Move Ŷ toward Y to make it finite.`,
    bits: 'bits',
    whoTrue: 'Y (true)',
    whoPredicted: 'Ŷ (predicted)',
    probability: 'probability',
  },
  fit: {
    title: '3. Gradient descent on a line fit',
    p1: 'Fit ŷ = a·x + b to the points by minimising the mean squared error. Gradient descent starts at (a, b) and repeats ',
    p1mid: ', with ',
    p1end: '.',
    erratum:
      'Erratum: the original tutorial ends its derivation with θ ← θ − η(ŷ − y), differentiating with respect to the data y and dropping the sum over the points and the factor x. The gradient of the mean squared error is the one above, ∂L/∂a = (2/n)Σ(ŷ − y)·x and ∂L/∂b = (2/n)Σ(ŷ − y), and that is what this lesson runs: without x, the update of a would not depend on where the points lie.',
    p2: 'It stops when the loss changes less than a threshold, when the gradient’s norm falls below a threshold, or after a maximum number of iterations. Too large a step η makes it diverge — and gd catches that.',
    lr: 'step η',
    lrWhat: 'the step η',
    a: 'start a',
    aWhat: 'the start a',
    b: 'start b',
    bWhat: 'the start b',
    stopWhen: 'stop when',
    criteria: {
      'loss-tolerance': '|Δloss| < threshold',
      'grad-tolerance': '‖∇‖₂ < threshold',
      'max-iterations': 'iterations reach',
    },
    iterationsWhat: 'the number of iterations',
    threshold: 'threshold',
    thresholdWhat: 'the threshold',
    run: 'Run gradient descent',
    stop: 'Stop',
    runStopped: 'The run stopped: ',
    progress: (done: string, total: string) => `iteration ${done} of ${total}… press Stop to end here.`,
    reasons: {
      'loss-tolerance': 'loss-tolerance',
      'grad-tolerance': 'grad-tolerance',
      'max-iterations': 'max-iterations',
      diverged: 'diverged',
      stopped: 'stopped',
    },
    /** The criterion that stopped a run, as the tutorial says it, with its threshold. */
    reasonSaid: (reason: string, th: string) =>
      reason === 'loss-tolerance'
        ? `the loss changed by less than the threshold, |Δloss| < ${th},`
        : reason === 'grad-tolerance'
          ? `the gradient’s norm fell below the threshold, ‖∇‖₂ < ${th},`
          : `reached the maximum of ${th} iterations,`,
    stopped: 'stopped: ',
    after: ' after ',
    summary: (a: string, b: string, loss: string) => ` iterations · a = ${a}, b = ${b}, loss = ${loss}`,
    diverged: ' — the loss blew up; the parameters were put back to their last finite values.',
    byYou: ' — stopped by you before any criterion was met.',
    steps: (n: number) => `${n} steps`,
    leastSquares: 'least squares',
    note: (a: string, b: string) =>
      `Least squares gives a = ${a}, b = ${b}. The contour chart: the MSE surface over (a, b), darker is lower, with the descent path and the least-squares minimum (star).`,
    precisionTitle: 'The same criterion in float32 and float64',
    precisionIntro: 'Stop when |Δloss| < 1e-10, from (a, b) = (0, 0) with η = 0.1, once in each precision:',
    precisionAria: 'float32 and float64 runs',
    cols: ['dtype', 'iterations', 'last Δloss', 'loss', 'distance to least squares'],
    same: 'Here both stop at the same iteration.',
    why: (o: { loss: string; ulp32: string; ulp64: string; zero: boolean; n32: number; n64: number; nearer: boolean }) =>
      `Near a loss of ${o.loss}, neighbouring float32 numbers are ${o.ulp32} apart (float64’s ${o.ulp64}): float32 cannot represent a change of 1e-10 at all, so its test is met when the computed loss ${
        o.zero ? 'stops changing (Δloss = 0)' : 'moves by a rounding step'
      } — after ${o.n32} iterations, because the loss can no longer be told apart, not because descent converged. float64 sees the loss keep falling until its change really is below 1e-10, after ${o.n64} iterations, and ends ${
        o.nearer ? 'nearer' : 'no nearer'
      } the least-squares line.`,
  },
  opt: {
    title: '4. GD, SGD, momentum and Adam',
    p1: 'Plain gradient descent follows the steepest slope and zig-zags in narrow valleys. SGD computes each step on a few random samples: cheap, and its path wanders like a drunkard, but its overall direction is right. Momentum accumulates speed along the valley; Adam scales each coordinate by its own gradient history.',
    p2: 'On the line fit, SGD uses real minibatches of the points. The two analytic surfaces have no samples, so there SGD’s sampling noise is imitated by adding seeded Gaussian noise σ to each gradient.',
    surface: 'surface',
    surfaces: {
      quadratic: 'ill-conditioned quadratic ½(x² + 50y²)',
      rosenbrock: 'Rosenbrock (1 − x)² + 100(y − x²)²',
      linefit: 'line-fit MSE over (a, b)',
    },
    lr: 'step η (GD, SGD, momentum)',
    lrWhat: 'the step η',
    beta: 'momentum β',
    betaWhat: 'the momentum β',
    adamLr: 'Adam step',
    adamLrWhat: 'Adam’s step',
    steps: 'steps',
    stepsWhat: 'the number of steps',
    stepsWhy: '(a longer path hides the picture)',
    batch: 'SGD batch (line fit)',
    batchWhat: 'the batch size',
    batchWhy: (n: number) => `(there are ${n} points)`,
    noise: 'SGD gradient noise σ (other surfaces)',
    noiseWhat: 'the noise σ',
    run: 'Run all six',
    methods: { GD: 'GD', SGD: 'SGD', momentum: 'momentum', Adam: 'Adam', Newton: 'Newton', 'L-BFGS': 'L-BFGS' },
    p3: 'Curvature (tutorial §3): the Hessian H, the matrix of second derivatives, says how the slope changes. Its eigenvectors, drawn as λ₁ and λ₂ at a point of GD’s path, are the directions of steepest and flattest curvature. Gradient descent converges along λ₁ only if η < 2/λₘₐₓ; Newton’s method steps by H⁻¹∇ and lands on a quadratic’s minimum in one step; L-BFGS builds an estimate of H⁻¹ from its last steps and needs no second derivatives.',
    at: 'H at GD’s step',
    bound: (limit: string, lmax: string) => ` 2/λₘₐₓ = ${limit} here (λₘₐₓ = ${lmax})`,
    noBound: ' H has no positive curvature here: no bound on η.',
    above: (lr: string, factor: string) =>
      ` η = ${lr} is above 2/λₘₐₓ: along λ₁ each step multiplies the distance by |1 − η·λₘₐₓ| = ${factor} > 1, so gradient descent moves away along it near this point.`,
    eigen: (k: number, l1: string, l2: string, ratio: string) =>
      `At step ${k} of GD’s path: H’s eigenvalues λ₁ = ${l1}, λ₂ = ${l2} (condition number λ₁/λ₂ = ${ratio}); the arrows are their eigenvectors.`,
    refused: (m: string, n: number) => `${m}: stopped after ${n} steps, H not positive-definite`,
    divergedName: (m: string) => `${m} (diverged)`,
    minimum: 'minimum',
    divergedAfter: (m: string, n: number) => `${m}: diverged after ${n} steps`,
    endsAt: (m: string, x: string, y: string) => `${m}: ends at (${x}, ${y})`,
    sep: ' · ',
  },
  bp: {
    title: '5. Backpropagation',
    p1: 'A network is one function of all its weights. Backpropagation applies the chain rule ',
    p1end: ' from the loss back to every weight, each node passing ∂L/∂(its input) to the nodes it was computed from.',
    value: 'value',
    grad: 'grad ',
    constant: 'constant',
    graphAria: 'computation graph with values and gradients',
    scrollAria: 'computation graph (scrolls sideways)',
    counter: (i: number, n: number) => `step ${i} of ${n}`,
    press: 'Press “Next step” to walk the chain rule from the loss back to the weights.',
    next: 'Next step',
    reset: 'Start over',
    first: '∂L/∂L = 1: the walk starts at the loss.',
    node: (name: string, user: string) => `∂L/∂${name}: the chain rule through ${user}.`,
    local: 'Local derivative: ',
    arriving: (from: string) => `Gradient arriving from ${from}: `,
    product: 'Their product fills in the node’s gradient (upstream × local = the autograd’s value):',
    checkStep:
      'Every weight has its gradient. Checked as gradcheck checks it: each weight alone moved by ±ε, the central difference (L(w + ε) − L(w − ε)) / 2ε, in float64 with ε = 1e-6:',
    weight: 'weight',
    autograd: '∂L/∂w (backward)',
    finiteDiff: 'finite difference',
    difference: 'difference',
    updateStep: (eta: string) => `One gradient-descent step with learning rate η = ${eta}, every weight at once: `,
    lossBeforeAfter: 'The loss before and after the step: ',
    done: ' Done: the step lowered the loss. Press “Start over” to walk again.',
    check: 'gradcheck in float64 (analytic gradient against central finite differences): ',
    ok: 'ok',
    failed: 'FAILED',
    maxRel: ' · max relative error ',
    over: (n: number) => ` over ${n} weights`,
    f32a: 'The same check in float32 gives a max relative error of ',
    f32b: ': a finite difference subtracts two nearly equal losses, and float32 keeps only about 7 significant digits of each, so the check itself is what is imprecise there. In float64 (about 16 digits) only the chain rule’s agreement is left to see.',
  },
  pg: {
    title: '6. Playground',
    p1: 'Choose the data, the inputs the network sees, its layers and how it learns, then press play. Each small square shows what one unit computes over the plane (blue positive, orange negative); each line is a weight, thicker when larger, blue when positive. The network learns on the training points (filled) and is judged on the test points (white rings). Training runs in a Web Worker on the gd packages.',
    data: 'data',
    datasets: {
      circle: 'circle',
      xor: 'XOR',
      gauss: 'Gaussian',
      spiral: 'spiral',
      'reg-plane': 'regression: plane',
      'reg-gauss': 'regression: two bumps',
    },
    noise: 'noise %',
    noiseWhat: 'the noise',
    ratio: 'training %',
    ratioWhat: 'the share of training points',
    batch: 'batch size',
    batchWhat: 'the batch size',
    batchWhy: '(there are at most 360 training points)',
    batchTrain: (n: number) => `The batch size must be at most ${n}, the number of training points.`,
    regenerate: 'Regenerate',
    activation: 'activation',
    linear: 'linear',
    optimizer: 'optimizer',
    optimizers: { adam: 'Adam', momentum: 'SGD + momentum', sgd: 'SGD' },
    lr: 'learning rate',
    lrWhat: 'the learning rate',
    reg: 'regularisation',
    regs: { none: 'none', l1: 'L1', l2: 'L2' },
    regRate: 'regularisation rate',
    regRateWhat: 'the regularisation rate',
    inputs: 'inputs',
    chooseInput: 'Choose at least one input.',
    play: '▶ Play',
    pause: '❚❚ Pause',
    step: 'Step',
    reset: 'Reset',
    settingUp: 'Setting up…',
    netAria: 'the network (scrolls sideways)',
    addLayer: '+ layer',
    addLayerAria: 'add a hidden layer',
    removeLayer: '− layer',
    removeLayerAria: 'remove the last hidden layer',
    addNeuron: (i: number) => `add a neuron to layer ${i}`,
    removeNeuron: (i: number) => `remove a neuron from layer ${i}`,
    layers: (n: number) => `${n} hidden ${plural(n, 'layer', 'layers')}${n ? ':' : ''}`,
    fix: 'Fix the marked setting to go on.',
    epoch: 'epoch ',
    trainLoss: ' · training loss ',
    testLoss: ' · test loss ',
    accuracy: ' · test accuracy ',
    diverged: ' — diverged: lower the learning rate and press Reset.',
    capped: (n: string) => ` — stopped at ${n} epochs, the playground’s limit: press Reset to train again.`,
    svgAria: 'the network: one picture per unit, weights as lines',
    output: 'output',
    curvesLater: 'The training and test loss curves appear here once training starts: press Play or Step.',
    loss: 'loss',
    epochAxis: 'epoch',
    trainingLoss: 'training loss',
    testLossKey: 'test loss',
    stopped: 'Training stopped: ',
    urlBad: 'Some settings in the address could not be used and were left as they were: ',
    urlExpected: (what: string) => `expected ${what}`,
    urlWhole: (lo: number, hi: number) => `a whole number from ${lo} to ${hi}`,
    urlRange: (lo: number, hi: number) => `a number from ${lo} to ${hi}`,
    urlOneOf: (options: string) => `one of ${options}`,
    urlFeatures: (names: string) => `inputs from ${names}, separated by commas`,
    urlHidden: (layers: number, neurons: number) => `at most ${layers} layer sizes from 1 to ${neurons}, separated by commas`,
    discretize: 'discretize output',
    showTest: 'show test data',
    share: 'Share',
    copied: 'Link copied:',
    copyThis: 'Copy this link:',
    weightWhat: 'the weight',
    weightOf: (from: string, to: string) => `weight ${from} → ${to}`,
    unitName: (layer: number, unit: number) => `layer ${layer} unit ${unit}`,
    legendClass: 'Colour: the predicted class, orange −1 (class 0) to blue +1 (class 1); white is undecided.',
    legendReg: 'Colour: the predicted value, orange −1 to blue +1.',
    legendUnit: (layer: number, unit: number) => `Showing layer ${layer} unit ${unit} (hovered), orange negative to blue positive.`,
    unitPreview: (layer: number, unit: number) => `layer ${layer} unit ${unit}: show it on the big plot`,
    weightAria: (from: string, to: string, value: string) => `weight ${from} → ${to}: ${value}, press Enter to change it`,
  },
  digits: {
    title: '7. Digits',
    p1: 'A network learns to read handwritten digits from real MNIST images, right here in the browser; 2,000 more measure its accuracy. Then draw a digit and see what it thinks.',
    p2: 'The MLP (784-128-10) sees each image as 784 unrelated numbers. The CNN (LeNet-5: two 5×5 convolutions with max pooling, then 400-120-84-10) slides small filters over the 28×28 image, so a stroke is recognised wherever it is; each of its epochs takes several seconds here. Two epochs give about 94 % held-out accuracy with the MLP and about 97 % with the CNN; the full run in the terminal, ',
    p2end: ', trains for 12 epochs and reaches 98.5 % or more on the same 2,000 held-out digits.',
    model: 'model',
    epochs: 'epochs',
    epochsWhat: 'the number of epochs',
    epochsWhy: '(each takes a few seconds)',
    train: 'Train on the digits',
    pressTrain: 'Press “Train on the digits”.',
    canvasAria: 'drawing area: draw a digit with a mouse, finger or pen, or press “Show a real digit”',
    sample: 'Show a real digit',
    predict: 'Recognise',
    clear: 'Clear',
    download: 'Download ONNX',
    keyboard: 'Without a mouse or touch screen, “Show a real digit” puts one of the MNIST digits on the canvas for the network to read.',
    filterAria: (f: number, kh: number, kw: number) => `filter ${f} of the first convolution, ${kh}×${kw} weights`,
    filters: (out: number, kh: number, kw: number, scale: string) =>
      `What the first convolution learned: its ${out} filters of ${kh}×${kw} weights, red positive, blue negative, white zero (one scale, ±${scale}). Each slides over the image and responds most where the ink matches its pattern of red and blue.`,
    inputAria: 'the 28×28 image the network read',
    loadFailed: 'The digits could not be loaded.',
    sampleLabel: (no: number, label: number) => `MNIST digit no. ${no}, labelled ${label}. Press Recognise.`,
    cnnStep: (step: number, total: number) => `CNN: step ${step}/${total}`,
    cnnStepEpoch: (epoch: number, loss: string) => ` · epoch ${epoch} loss ${loss}`,
    trainingLoss: 'training loss',
    epochAxis: 'epoch',
    mlpEpoch: (model: string, epoch: number, epochs: number, loss: string, acc: string) =>
      `${model}: epoch ${epoch}/${epochs} · loss ${loss} · held-out accuracy ${acc}%`,
    heldOut: 'held-out accuracy',
    trained: (model: string) => `${model} trained · held-out accuracy `,
    nowDraw: ' — now draw a digit and press Recognise.',
    whatItRead: 'what it read',
    reads: 'It reads: ',
    probability: 'probability',
    digit: 'digit',
    saved: (name: string, kb: string) => `Saved ${name} (${kb} KB): open it with ONNX Runtime in Python, C++, Node or the browser.`,
    onnxCannot: (model: string) => `The ${model} cannot be exported to ONNX yet: `,
    trainFirst: 'Train the digit model first.',
    loading: 'loading the digits and training…',
    drawFirst: 'Draw a digit first.',
    exporting: (model: string) => `exporting the ${model} to ONNX…`,
  },
  poem: {
    title: '8. Cross-entropy trains a Transformer',
    p1: 'A small Transformer (decoder-only, one character at a time) learns the five-character quatrains of the Tang dynasty by minimising cross-entropy. The loss of one character is its information content −log₂ p in bits; its mean over poems the model never saw is the cross-entropy in bits per character. To have learned anything, it must go below the entropy H(X) of the characters themselves (what knowing how often each character occurs is worth) and below a bigram (which also knows the character before).',
    p2: 'It trains in this page, in a worker, with the same code as the terminal’s ',
    p2end:
      ', on the same 90/10 split of the poems (《春曉》 held out on purpose); this model is smaller (64 wide) so that an epoch takes seconds. Or load the weights that code trained for 8 epochs and skip ahead.',
    train: 'Train live',
    resume: 'Resume',
    stop: 'Stop',
    load: 'Load the trained weights',
    press: 'Press “Train live” to watch the loss fall, or “Load the trained weights” to skip ahead.',
    loading: 'loading the poems…',
    loadingWeights: 'loading the trained weights…',
    loadFailed: 'The poems or the weights could not be loaded: ',
    data: (o: { train: number; held: number; chars: string; vocab: string; kb: string; threads: number }) =>
      `${o.train} poems to train on, ${o.held} held out (${o.chars} characters); ${o.vocab} characters in the vocabulary; the poems file is ${o.kb} KB; ${o.threads} ${plural(o.threads, 'thread', 'threads')}.`,
    step: (step: number, steps: number, epoch: number, bits: string) => `step ${step}/${steps} · epoch ${epoch} · loss ${bits} bits/char`,
    stopped: (step: number, steps: number) => `Stopped at step ${step} of ${steps}. Resume goes on from there.`,
    done: (steps: number) => `Trained: all ${steps} steps.`,
    shipped: (steps: number, kb: string, claimed: string) =>
      `Loaded the weights trained by the terminal’s code (${steps} steps, ${kb} KB); the file says ${claimed} bits/char on the held-out poems.`,
    model: (params: string, layers: number, d: number, heads: number) =>
      `The model: ${params} parameters, ${layers} blocks ${d} wide, ${heads} attention heads each.`,
    chartTitle: 'Loss while training, in bits per character',
    bitsAxis: 'bits per character',
    stepAxis: 'step',
    lossLine: 'training loss',
    heldOutDots: 'held out, each epoch',
    unigramLine: 'unigram entropy H(X)',
    bigramLine: 'bigram (held out)',
    tableCaption: 'Cross-entropy on the held-out poems',
    modelCol: 'model',
    bitsCol: 'bits per character',
    models: { uniform: 'uniform', unigram: 'unigram', bigram: 'bigram', transformer: 'Transformer' } as Record<string, string>,
    notYet: 'not trained yet',
    generateTitle: 'Generate',
    temperature: 'temperature',
    temperatureWhat: 'the temperature',
    temperatureWhy: '(beyond 5 every character is nearly equally likely)',
    seed: 'seed',
    seedWhat: 'the seed',
    seedWhy: '(a seed of gd’s generator)',
    generate: 'Generate poems',
    firstModel: 'Train or load the model first.',
    samples: (n: number, well: number, temperature: string) =>
      `At temperature ${temperature}: ${well} of ${n} are well-formed quatrains (4 lines of 5 characters, ，。，。). Below 1 the model picks its likelier characters more often; above 1 it spreads its bets.`,
    famous: (title: string, author: string) =>
      `《${title}》 by ${author}, held out: each character coloured by its information content −log₂ p under the model (the number under it).`,
    legend: 'information content in bits: ',
    legendLow: 'expected',
    legendHigh: 'surprising',
    charLabel: (ch: string, bits: string, p: string, bigram: string) => `${ch}: ${bits} bits (p = ${p}); bigram ${bigram} bits`,
    total: (total: string, per: string, bigram: string) => `In all ${total} bits, ${per} per character; the bigram needs ${bigram} bits.`,
    head: 'attention head',
    headOption: (layer: number, head: number) => `block ${layer}, head ${head}`,
    attentionOf: (ch: string, i: number) =>
      `The attention that predicted “${ch}” (character ${i}) over the start token and the characters before it; the weights sum to 1. Press another character of the poem to see its row.`,
    startToken: 'start',
    attentionAria: (ch: string) => `attention weights when predicting ${ch}`,
  },
  /** Said after an English message of the gd library, where the page shows one. */
  explain: {
    run: '',
    info: '',
    training: '',
    onnx: '',
  },
};

/** The shape every catalogue has: the keys and argument types of the English one. */
export type Messages = typeof en;

/** A name followed by Chinese text: a space after a Latin or Greek letter or a digit, as Chinese typesetting has it. */
const sp = (w: string) => (/[A-Za-z0-9\u00c0-\u024f\u0370-\u03ff]$/.test(w) ? `${w} ` : w);

/** The Chinese (简体中文) catalogue, in the tutorial's own terms. */
export const zh: Messages = {
  page: {
    title: 'gd —— 在运行中学习梯度下降',
    intro: '本页的每一个数字都由 gd 的各个包计算，它们以 WebAssembly 在你的浏览器里运行。',
    lessons: '课程',
    nav: ['1 信息量', '2 交叉熵', '3 梯度下降', '4 GD · SGD · 动量 · Adam', '5 反向传播', '6 实验场', '7 手写数字', '8 唐诗'],
    starting: '正在启动 WebAssembly 计算核心…',
    ready: '就绪：下面每一课都在本页中运行 gd。',
    failed: 'gd 无法启动：',
    seedBefore: 'gd 的随机数带种子，并在它的 WebAssembly 模块中生成：先 ',
    seedThen: '，再 ',
    seedGives: '，在这里和在 Node 中都得到 ',
    seedAfter: '，每一位都相同。',
    language: '语言',
    threads: (n: number, simd: string) =>
      `训练在一个 Web Worker 中以 ${n} 个线程运行（${simd === 'relaxed' ? '宽松 SIMD' : '普通 SIMD'}）：本页是跨源隔离的，gd 的线程可以共享内存。`,
    oneThread: (simd: string) =>
      `训练在一个 Web Worker 中以单线程运行（${simd === 'relaxed' ? '宽松 SIMD' : '普通 SIMD'}）：本页不是跨源隔离的，线程无法共享内存。若服务器发送响应头 Cross-Origin-Opener-Policy: same-origin 和 Cross-Origin-Embedder-Policy: require-corp，就会用上所有核心。`,
    glossary: '术语表：教程用语的中英对照',
    glossaryZh: '中文',
    glossaryEn: '英文',
    libraryError: 'gd 库的英文原文：',
  },
  check: {
    empty: (what: string, accepts: string) => `请为${sp(what)}输入${accepts}。`,
    notNumber: (t: string, accepts: string, example: string) => `“${t}”不是数字。请用十进制数字输入${accepts}，例如 ${example}。`,
    underflow: (t: string, accepts: string) => `“${t}”太接近 0，无法作为数保存。请输入${accepts}。`,
    whole: (what: string, example: number, accepts: string) => `${sp(what)}必须是整数，例如 ${example}：应为${accepts}。`,
    moreThan0: (what: string, accepts: string) => `${sp(what)}必须大于 0：应为${accepts}。`,
    moreThan: (what: string, min: number, accepts: string) => `${sp(what)}必须大于 ${min}：应为${accepts}。`,
    atLeast: (what: string, min: number, accepts: string) => `${sp(what)}至少为 ${min}：应为${accepts}。`,
    atMost: (what: string, max: number | undefined, reason: string) =>
      max === undefined ? `${sp(what)}必须是有限的数。` : `${sp(what)}最多为 ${max}${reason}。`,
    accepts: (o: { integer: boolean; min?: number; above: boolean; max?: number }) => {
      const kind = o.integer ? '整数' : '数';
      if (o.min === undefined) return o.max === undefined ? `一个${kind}` : `不超过 ${o.max} 的${kind}`;
      if (o.above) return o.max === undefined ? `大于 ${o.min} 的${kind}` : `大于 ${o.min}、不超过 ${o.max} 的${kind}`;
      return o.max === undefined ? `不小于 ${o.min} 的${kind}` : `${o.min} 到 ${o.max} 之间的${kind}`;
    },
    distEmpty: (name: string) => `请输入${sp(name)}的各个概率，用逗号分隔，例如 0.5, 0.5。`,
    distNotNumber: (t: string) => `“${t}”不是数字。请用十进制数字书写，例如 0.25。`,
    distUnderflow: (t: string) => `“${t}”太接近 0，无法作为数保存：请输入 0 或 0.001 这样的值。`,
    distTwo: (name: string) => `${sp(name)}至少需要两个结果。`,
    distMany: (name: string) => `${sp(name)}最多只能有 26 个结果。`,
    distNegative: '概率不能是负数。',
    distLarge: '这个数太大了：请用 0.2 这样的值。',
    distZero: '至少要有一个结果的概率大于 0。',
  },
  info: {
    title: '1. 信息量与熵',
    p1: '一个结果越不可能发生，它携带的信息量就越多：',
    p1end: '。',
    p2: '熵（信息熵、香农熵）是信息量的期望，描述整个系统的不确定性：',
    p2end: '。当 N 个结果的概率都相等时，熵最大，为 log_b N。',
    unit: '单位',
    units: { bits: '比特', nats: '奈特', hartleys: '哈特莱' },
    unitOptions: { bits: '比特（以 2 为底）', nats: '奈特（以 e 为底）', hartleys: '哈特莱（以 10 为底）' },
    probs: 'P(x₁), P(x₂), …（按比例缩放，使总和为 1）',
    probsAria: '各个概率，用逗号分隔',
    presets: '预设分布',
    presetNames: { peaked: '尖峰分布', flat: '平坦分布', 'fair coin': '均匀硬币', 'fair die': '均匀骰子', 'uniform 4': '四个等概率结果' },
    maximum: (max: string, unit: string) => `   ·   最大值 log_b N = ${max} ${unit}`,
    barsNote: (unit: string) =>
      `柱子和柱上的数字：每个结果的概率 P(x)；上面一行是每个结果的信息量 I(x) = −log_b P(x)，单位为${unit}。拖动柱子或直接输入，都可以改变分布。`,
    contentOf: (unit: string) => `信息量 I(x)，单位为${unit}：`,
    distribution: '这个分布',
  },
  ce: {
    title: '2. 交叉熵',
    p1: '交叉熵衡量预测分布 Ŷ 与真实分布 Y 相差多远：',
    p1end: '。它等于 Y 的熵加上 KL 散度，所以当预测与真实一致时最小。',
    trueY: '真实分布 Y',
    predicted: '预测分布 Ŷ',
    mix: '让 Ŷ 向 Y 靠近',
    mismatch: (ny: number, nq: number) => `Ŷ 的结果个数必须与 Y 相同：Y 有 ${ny} 个，Ŷ 有 ${nq} 个。`,
    infinite: (x: string) =>
      `无穷大：Ŷ 给 ${x} 的概率是 0，而 Y 不是；log 0 = −∞，所以 −Y(${x})·log Ŷ(${x}) 这一项是无穷大——断定某事不会发生的预测，在它发生时错得无穷大。把 Ŷ 向 Y 移动，它就变为有限值。`,
    bits: '比特',
    whoTrue: 'Y（真实）',
    whoPredicted: 'Ŷ（预测）',
    probability: '概率',
  },
  fit: {
    title: '3. 用梯度下降拟合直线',
    p1: '通过最小化均方误差，把 ŷ = a·x + b 拟合到这些点上。梯度下降从 (a, b) 出发，反复执行 ',
    p1mid: '，其中的偏导数为 ',
    p1end: '。',
    erratum:
      '勘误：原教程的推导最后写成 θ ← θ − η(ŷ − y)，它对数据 y 求导，又丢掉了对各个点的求和与因子 x。均方误差的梯度是上面的 ∂L/∂a = (2/n)Σ(ŷ − y)·x 和 ∂L/∂b = (2/n)Σ(ŷ − y)，本课运行的也正是它：没有 x，a 的更新就与这些点的位置无关了。',
    p2: '收敛条件有三种：损失函数值的变化量小于阈值，梯度的范数小于阈值，或者达到最大迭代次数。学习率（步长）η 太大会发散——gd 会发现这一点。',
    lr: '学习率（步长）η',
    lrWhat: '学习率 η',
    a: '初始 a',
    aWhat: '初始 a',
    b: '初始 b',
    bWhat: '初始 b',
    stopWhen: '收敛条件',
    criteria: { 'loss-tolerance': '|Δ损失| < 阈值', 'grad-tolerance': '‖∇‖₂ < 阈值', 'max-iterations': '迭代次数达到' },
    iterationsWhat: '迭代次数',
    threshold: '阈值',
    thresholdWhat: '阈值',
    run: '运行梯度下降',
    stop: '停止',
    runStopped: '运行中止：',
    progress: (done: string, total: string) => `第 ${done} 次迭代，共 ${total} 次…… 按“停止”可在此结束。`,
    reasons: {
      'loss-tolerance': '损失变化小于阈值',
      'grad-tolerance': '梯度范数小于阈值',
      'max-iterations': '达到最大迭代次数',
      diverged: '发散',
      stopped: '已停止',
    },
    reasonSaid: (reason: string, th: string) =>
      reason === 'loss-tolerance'
        ? `损失的变化小于阈值，|Δ损失| < ${th}`
        : reason === 'grad-tolerance'
          ? `梯度的范数小于阈值，‖∇‖₂ < ${th}`
          : `达到最大迭代次数 ${th}`,
    stopped: '停止原因：',
    after: '，迭代次数 ',
    summary: (a: string, b: string, loss: string) => ` · a = ${a}，b = ${b}，损失 = ${loss}`,
    diverged: ' —— 损失爆炸了；参数已恢复为最后一组有限的值。',
    byYou: ' —— 在满足任何收敛条件之前被你停止。',
    steps: (n: number) => `${n} 步`,
    leastSquares: '最小二乘解',
    note: (a: string, b: string) =>
      `最小二乘法给出 a = ${a}，b = ${b}。等高线图：(a, b) 上的均方误差曲面，颜色越深损失越小；图中画出了下降路径和最小二乘的最小值（星号）。`,
    precisionTitle: '同一个收敛条件，分别用 float32 和 float64',
    precisionIntro: '当 |Δ损失| < 1e-10 时停止，从 (a, b) = (0, 0) 出发，η = 0.1，两种精度各运行一次：',
    precisionAria: 'float32 与 float64 的运行结果',
    cols: ['类型', '迭代次数', '最后的 Δ损失', '损失', '到最小二乘解的距离'],
    same: '这里两者在同一次迭代停止。',
    why: (o: { loss: string; ulp32: string; ulp64: string; zero: boolean; n32: number; n64: number; nearer: boolean }) =>
      `在损失约为 ${o.loss} 处，相邻的 float32 数相差 ${o.ulp32}（float64 为 ${o.ulp64}）：float32 根本无法表示 1e-10 的变化，所以当算出的损失${
        o.zero ? '不再变化（Δ损失 = 0）' : '只按舍入的一步变化'
      }时，它的条件就满足了——在第 ${o.n32} 次迭代，原因是损失已经无法区分，而不是梯度下降已经收敛。float64 看到损失继续下降，直到变化量真正小于 1e-10，在第 ${o.n64} 次迭代停止，最终${
        o.nearer ? '更接近' : '并没有更接近'
      }最小二乘直线。`,
  },
  opt: {
    title: '4. GD、SGD、动量与 Adam',
    p1: '普通的梯度下降沿最陡的方向走，在狭窄的山谷里来回折返。随机梯度下降（SGD）每一步只用随机选出的少量样本计算梯度：计算便宜，行进路线像醉汉一样曲折，但大方向是对的。动量沿着山谷积累速度；Adam 按每个坐标自己的梯度历史缩放步长。',
    p2: '在直线拟合上，SGD 使用真实的小批量样本点。两个解析曲面没有样本，所以在那里用给每个梯度加上带种子的高斯噪声 σ 来模拟 SGD 的采样噪声。',
    surface: '曲面',
    surfaces: {
      quadratic: '病态二次函数 ½(x² + 50y²)',
      rosenbrock: 'Rosenbrock 函数 (1 − x)² + 100(y − x²)²',
      linefit: '直线拟合的均方误差，自变量为 (a, b)',
    },
    lr: '学习率 η（GD、SGD、动量）',
    lrWhat: '学习率 η',
    beta: '动量 β',
    betaWhat: '动量 β',
    adamLr: 'Adam 步长',
    adamLrWhat: 'Adam 的步长',
    steps: '步数',
    stepsWhat: '步数',
    stepsWhy: '（路径太长会遮住图）',
    batch: 'SGD 批大小（直线拟合）',
    batchWhat: '批大小',
    batchWhy: (n: number) => `（一共只有 ${n} 个点）`,
    noise: 'SGD 梯度噪声 σ（其他曲面）',
    noiseWhat: '噪声 σ',
    run: '六种方法一起运行',
    methods: { GD: 'GD', SGD: 'SGD', momentum: '动量', Adam: 'Adam', Newton: '牛顿法', 'L-BFGS': 'L-BFGS' },
    p3: '曲率（教程第 3 节）：海森矩阵 H 是二阶导数组成的矩阵，说明斜率如何变化。它的特征向量（在 GD 路径上的一点处画为 λ₁ 和 λ₂）是曲率最大和最小的方向。只有当 η < 2/λₘₐₓ 时，梯度下降才会沿 λ₁ 方向收敛；牛顿法按 H⁻¹∇ 迈步，在二次函数上一步就到达最小值；L-BFGS 用最近几步估计 H⁻¹，不需要二阶导数。',
    at: 'H 取自 GD 的第几步',
    bound: (limit: string, lmax: string) => ` 此处 2/λₘₐₓ = ${limit}（λₘₐₓ = ${lmax}）`,
    noBound: ' 此处 H 没有正的曲率：η 没有上界。',
    above: (lr: string, factor: string) =>
      ` η = ${lr} 大于 2/λₘₐₓ：沿 λ₁ 方向，每一步把距离乘以 |1 − η·λₘₐₓ| = ${factor} > 1，所以在这一点附近梯度下降沿该方向远离最小值。`,
    eigen: (k: number, l1: string, l2: string, ratio: string) =>
      `在 GD 路径的第 ${k} 步：H 的特征值 λ₁ = ${l1}，λ₂ = ${l2}（条件数 λ₁/λ₂ = ${ratio}）；箭头是对应的特征向量。`,
    refused: (m: string, n: number) => `${m}：${n} 步后停止，H 不是正定的`,
    divergedName: (m: string) => `${m}（发散）`,
    minimum: '最小值',
    divergedAfter: (m: string, n: number) => `${m}：${n} 步后发散`,
    endsAt: (m: string, x: string, y: string) => `${m}：停在 (${x}, ${y})`,
    sep: ' · ',
  },
  bp: {
    title: '5. 反向传播',
    p1: '一个网络是它所有权重的一个函数。反向传播运用链式法则 ',
    p1end: '，从损失函数一直回到每一个权重：每个节点把 ∂L/∂(它的输入) 传给计算出它的那些节点。',
    value: '值',
    grad: '梯度',
    constant: '常量',
    graphAria: '带有值和梯度的计算图',
    scrollAria: '计算图（可横向滚动）',
    counter: (i: number, n: number) => `第 ${i} 步，共 ${n} 步`,
    press: '按“下一步”，沿链式法则从损失走回到各个权重。',
    next: '下一步',
    reset: '从头开始',
    first: '∂L/∂L = 1：从损失出发。',
    node: (name: string, user: string) => `∂L/∂${name}：经过 ${user} 的链式法则。`,
    local: '局部偏导数：',
    arriving: (from: string) => `从 ${from} 传回的梯度：`,
    product: '两者相乘，填入这个节点的梯度（上游 × 局部 = 自动微分算出的值）：',
    checkStep:
      '每个权重都有了梯度。按梯度检验的做法核对：每个权重单独移动 ±ε，取中心差分 (L(w + ε) − L(w − ε)) / 2ε，在 float64 下计算，ε = 1e-6：',
    weight: '权重',
    autograd: '∂L/∂w（反向传播）',
    finiteDiff: '有限差分',
    difference: '差',
    updateStep: (eta: string) => `用学习率 η = ${eta} 做一步梯度下降，所有权重同时更新：`,
    lossBeforeAfter: '这一步前后的损失：',
    done: ' 完成：这一步降低了损失。按“从头开始”可以再走一遍。',
    check: 'float64 下的梯度检验（解析梯度对照中心差分）：',
    ok: '通过',
    failed: '失败',
    maxRel: ' · 最大相对误差 ',
    over: (n: number) => `，共检验 ${n} 个权重`,
    f32a: '同样的检验在 float32 下的最大相对误差为 ',
    f32b: '：有限差分要把两个几乎相等的损失相减，而 float32 每个数只保留大约 7 位有效数字，所以不精确的是检验本身。在 float64 下（约 16 位），剩下看到的只有链式法则的一致。',
  },
  pg: {
    title: '6. 实验场',
    p1: '选择数据、网络看到的输入、网络的层以及学习方式，然后按“播放”。每个小方块显示一个单元在平面上计算出的值（蓝色为正，橙色为负）；每条线是一个权重，越粗表示越大，蓝色表示为正。网络在训练点（实心）上训练，在测试点（白色圆圈）上评估。训练在 Web Worker 中用 gd 的各个包运行。',
    data: '数据',
    datasets: {
      circle: '圆形',
      xor: 'XOR（异或）',
      gauss: '高斯',
      spiral: '螺旋',
      'reg-plane': '回归：平面',
      'reg-gauss': '回归：两个鼓包',
    },
    noise: '噪声 %',
    noiseWhat: '噪声',
    ratio: '训练集 %',
    ratioWhat: '训练点的比例',
    batch: '批大小',
    batchWhat: '批大小',
    batchWhy: '（训练点最多只有 360 个）',
    batchTrain: (n: number) => `批大小最多为 ${n}，即训练点的个数。`,
    regenerate: '重新生成',
    activation: '激活函数',
    linear: '线性',
    optimizer: '优化器',
    optimizers: { adam: 'Adam', momentum: 'SGD + 动量', sgd: 'SGD' },
    lr: '学习率',
    lrWhat: '学习率',
    reg: '正则化',
    regs: { none: '无', l1: 'L1', l2: 'L2' },
    regRate: '正则化系数',
    regRateWhat: '正则化系数',
    inputs: '输入',
    chooseInput: '请至少选择一个输入。',
    play: '▶ 播放',
    pause: '❚❚ 暂停',
    step: '单步',
    reset: '重置',
    settingUp: '准备中…',
    netAria: '网络（可横向滚动）',
    addLayer: '+ 层',
    addLayerAria: '增加一个隐藏层',
    removeLayer: '− 层',
    removeLayerAria: '删除最后一个隐藏层',
    addNeuron: (i: number) => `给第 ${i} 层增加一个神经元`,
    removeNeuron: (i: number) => `从第 ${i} 层删除一个神经元`,
    layers: (n: number) => `${n} 个隐藏层${n ? '：' : ''}`,
    fix: '请先改正标出的设置。',
    epoch: '轮次 ',
    trainLoss: ' · 训练损失 ',
    testLoss: ' · 测试损失 ',
    accuracy: ' · 测试准确率 ',
    diverged: ' —— 发散：请调低学习率，再按“重置”。',
    capped: (n: string) => ` —— 已到实验场的上限 ${n} 轮，训练停止：按“重置”重新训练。`,
    svgAria: '网络：每个单元一幅图，权重画成线',
    output: '输出',
    curvesLater: '训练开始后，训练损失和测试损失的曲线会显示在这里：按“播放”或“单步”。',
    loss: '损失',
    epochAxis: '轮次',
    trainingLoss: '训练损失',
    testLossKey: '测试损失',
    stopped: '训练中止：',
    urlBad: '地址中有些设置无法使用，保留了原来的值：',
    urlExpected: (what: string) => `应为${what}`,
    urlWhole: (lo: number, hi: number) => ` ${lo} 到 ${hi} 之间的整数`,
    urlRange: (lo: number, hi: number) => ` ${lo} 到 ${hi} 之间的数`,
    urlOneOf: (options: string) => ` ${options} 之一`,
    urlFeatures: (names: string) => `取自 ${names} 的输入，用逗号分隔`,
    urlHidden: (layers: number, neurons: number) => `最多 ${layers} 个层大小，每个在 1 到 ${neurons} 之间，用逗号分隔`,
    discretize: '离散化输出',
    showTest: '显示测试数据',
    share: '分享',
    copied: '链接已复制：',
    copyThis: '复制这个链接：',
    weightWhat: '权重',
    weightOf: (from: string, to: string) => `权重 ${from} → ${to}`,
    unitName: (layer: number, unit: number) => `第 ${layer} 层第 ${unit} 个单元`,
    legendClass: '颜色：预测的类别，橙色 −1（类别 0）到蓝色 +1（类别 1）；白色表示未定。',
    legendReg: '颜色：预测的值，橙色 −1 到蓝色 +1。',
    legendUnit: (layer: number, unit: number) => `正在显示第 ${layer} 层第 ${unit} 个单元（鼠标所指），橙色为负，蓝色为正。`,
    unitPreview: (layer: number, unit: number) => `第 ${layer} 层第 ${unit} 个单元：在大图上显示`,
    weightAria: (from: string, to: string, value: string) => `权重 ${from} → ${to}：${value}，按回车键修改`,
  },
  digits: {
    title: '7. 手写数字',
    p1: '一个网络就在浏览器里，从真实的 MNIST 图像学习识别手写数字；另外 2,000 张用来测量它的准确率。然后你可以写一个数字，看看它怎么认。',
    p2: 'MLP（784-128-10）把每张图看作 784 个互不相关的数。CNN（LeNet-5：两层 5×5 卷积加最大池化，然后是 400-120-84-10）让小的卷积核在 28×28 的图上滑动，所以一笔无论写在哪里都能认出来；在这里它的每一轮训练要几秒钟。训练两轮，MLP 在留出数据上的准确率约为 94 %，CNN 约为 97 %；在终端里完整运行 ',
    p2end: '，训练 12 轮，在同样的 2,000 个留出数字上达到 98.5 % 或更高。',
    model: '模型',
    epochs: '轮数',
    epochsWhat: '训练轮数',
    epochsWhy: '（每一轮要几秒钟）',
    train: '用这些数字训练',
    pressTrain: '请按“用这些数字训练”。',
    canvasAria: '画板：用鼠标、手指或笔写一个数字，或者按“显示一个真实的数字”',
    sample: '显示一个真实的数字',
    predict: '识别',
    clear: '清除',
    download: '下载 ONNX',
    keyboard: '没有鼠标或触摸屏时，“显示一个真实的数字”会把一个 MNIST 数字放到画板上，让网络来识别。',
    filterAria: (f: number, kh: number, kw: number) => `第一层卷积的第 ${f} 个卷积核，${kh}×${kw} 个权重`,
    filters: (out: number, kh: number, kw: number, scale: string) =>
      `第一层卷积学到了什么：它的 ${out} 个 ${kh}×${kw} 卷积核，红色为正，蓝色为负，白色为零（同一色标，±${scale}）。每个卷积核在图上滑动，在笔迹与它的红蓝图案吻合的地方响应最强。`,
    inputAria: '网络读到的 28×28 图像',
    loadFailed: '无法加载这些数字。',
    sampleLabel: (no: number, label: number) => `第 ${no} 个 MNIST 数字，标签为 ${label}。请按“识别”。`,
    cnnStep: (step: number, total: number) => `CNN：第 ${step}/${total} 步`,
    cnnStepEpoch: (epoch: number, loss: string) => ` · 第 ${epoch} 轮损失 ${loss}`,
    trainingLoss: '训练损失',
    epochAxis: '轮次',
    mlpEpoch: (model: string, epoch: number, epochs: number, loss: string, acc: string) =>
      `${model}：第 ${epoch}/${epochs} 轮 · 损失 ${loss} · 留出集准确率 ${acc}%`,
    heldOut: '留出集准确率',
    trained: (model: string) => `${model} 训练完成 · 留出集准确率 `,
    nowDraw: ' —— 现在写一个数字，然后按“识别”。',
    whatItRead: '它读到的图',
    reads: '识别结果：',
    probability: '概率',
    digit: '数字',
    saved: (name: string, kb: string) => `已保存 ${name}（${kb} KB）：可以用 Python、C++、Node 或浏览器中的 ONNX Runtime 打开。`,
    onnxCannot: (model: string) => `这个 ${model} 暂时还不能导出为 ONNX：`,
    trainFirst: '请先训练数字模型。',
    loading: '正在加载数字并训练中…',
    drawFirst: '请先写一个数字。',
    exporting: (model: string) => `正在把 ${model} 导出为 ONNX…`,
  },
  poem: {
    title: '8. 交叉熵训练 Transformer',
    p1: '一个小的 Transformer（只有解码器，一次预测一个字）通过最小化交叉熵来学习唐人的五言绝句。一个字的损失就是它的信息量 −log₂ p，单位比特；在模型从未见过的诗上取平均，就是以比特/字计的交叉熵。要说它学到了东西，它必须低于字本身分布的熵 H(X)（只知道每个字出现得多频繁所能做到的），也要低于二元模型（它还知道前一个字）。',
    p2: '它就在本页的一个 Worker 里训练，用的是与终端里 ',
    p2end:
      ' 相同的代码和相同的 90/10 划分（特意留出《春曉》）；这个模型更小（宽 64），每一轮只要几秒钟。也可以载入那段代码训练 8 轮得到的权重，直接跳到训练之后。',
    train: '现场训练',
    resume: '继续训练',
    stop: '停止',
    load: '载入训练好的权重',
    press: '按“现场训练”看损失下降，或者按“载入训练好的权重”直接跳到训练之后。',
    loading: '正在加载诗…',
    loadingWeights: '正在加载训练好的权重…',
    loadFailed: '无法加载诗或权重：',
    data: (o: { train: number; held: number; chars: string; vocab: string; kb: string; threads: number }) =>
      `${o.train} 首诗用于训练，${o.held} 首留出（共 ${o.chars} 个字）；字表有 ${o.vocab} 个字；诗的文件 ${o.kb} KB；${o.threads} 个线程。`,
    step: (step: number, steps: number, epoch: number, bits: string) => `第 ${step}/${steps} 步 · 第 ${epoch} 轮 · 损失 ${bits} 比特/字`,
    stopped: (step: number, steps: number) => `停在第 ${step} 步（共 ${steps} 步）。按“继续训练”从这里接着训练。`,
    done: (steps: number) => `训练完成：共 ${steps} 步。`,
    shipped: (steps: number, kb: string, claimed: string) =>
      `已载入终端代码训练出的权重（${steps} 步，${kb} KB）；文件中记录的留出集交叉熵为 ${claimed} 比特/字。`,
    model: (params: string, layers: number, d: number, heads: number) =>
      `模型：${params} 个参数，${layers} 个宽 ${d} 的块，每块 ${heads} 个注意力头。`,
    chartTitle: '训练中的损失，单位比特/字',
    bitsAxis: '比特/字',
    stepAxis: '步',
    lossLine: '训练损失',
    heldOutDots: '留出集，每轮一次',
    unigramLine: '一元模型的熵 H(X)',
    bigramLine: '二元模型（留出集）',
    tableCaption: '留出集上的交叉熵',
    modelCol: '模型',
    bitsCol: '比特/字',
    models: { uniform: '均匀分布', unigram: '一元模型', bigram: '二元模型', transformer: 'Transformer' } as Record<string, string>,
    notYet: '尚未训练',
    generateTitle: '生成',
    temperature: '温度',
    temperatureWhat: '温度',
    temperatureWhy: '（超过 5 时每个字几乎同样可能）',
    seed: '种子',
    seedWhat: '种子',
    seedWhy: '（gd 随机数生成器的种子）',
    generate: '生成诗',
    firstModel: '请先训练或载入模型。',
    samples: (n: number, well: number, temperature: string) =>
      `温度 ${temperature}：${n} 首中有 ${well} 首是合格的绝句（4 句，每句 5 字，，。，。）。温度低于 1 时模型更常选它认为更可能的字；高于 1 时选择更分散。`,
    famous: (title: string, author: string) => `《${title}》${author}，特意留出：每个字按它在模型下的信息量 −log₂ p 着色（字下方是数值）。`,
    legend: '信息量（比特）：',
    legendLow: '意料之中',
    legendHigh: '出乎意料',
    charLabel: (ch: string, bits: string, p: string, bigram: string) => `${ch}：${bits} 比特（p = ${p}）；二元模型 ${bigram} 比特`,
    total: (total: string, per: string, bigram: string) => `合计 ${total} 比特，每字 ${per} 比特；二元模型需要 ${bigram} 比特。`,
    head: '注意力头',
    headOption: (layer: number, head: number) => `第 ${layer} 块，第 ${head} 个头`,
    attentionOf: (ch: string, i: number) =>
      `预测“${ch}”（第 ${i} 个字）时的注意力：分布在起始标记和它前面的字上，权重之和为 1。按诗中的另一个字可以看它的那一行。`,
    startToken: '起始',
    attentionAria: (ch: string) => `预测“${ch}”时的注意力权重`,
  },
  explain: {
    run: '（梯度下降无法继续：gd 库拒绝了这次运行，原因见上面的英文原文。请检查输入的数值。）',
    info: '（gd 库无法计算这个分布，原因见上面的英文原文。）',
    training: '（训练无法继续，原因见上面的 gd 库英文原文。请修改设置后按“重置”。）',
    onnx: '（ONNX 导出器还不能写出这个模型中的某一种层，上面的英文原文给出了层的名字。）',
  },
};

/** The word for a key of a small map of the catalogue (an option, a reason); the key itself if it has none. */
export function pick(map: Record<string, string>, key: string): string {
  return map[key] ?? key;
}

/** Both catalogues, by language. */
export const CATALOGUES: Record<Lang, Messages> = { en, 'zh-CN': zh };

/** The tutorial's own terms, Chinese beside English, for the glossary. */
export const GLOSSARY: Array<[string, string]> = [
  ['信息量', 'information content'],
  ['熵 / 信息熵 / 香农熵', 'entropy / information entropy / Shannon entropy'],
  ['不确定性', 'uncertainty'],
  ['交叉熵', 'cross-entropy'],
  ['均方误差', 'mean squared error (MSE)'],
  ['损失函数', 'loss function'],
  ['梯度', 'gradient'],
  ['偏导数', 'partial derivative'],
  ['梯度下降', 'gradient descent'],
  ['学习率（步长）', 'learning rate (step size)'],
  ['收敛条件', 'convergence criterion'],
  ['随机梯度下降', 'stochastic gradient descent (SGD)'],
  ['反向传播', 'backpropagation'],
  ['链式法则', 'chain rule'],
  ['参数', 'parameters'],
  ['训练', 'training'],
];

/**
 * The language to show: `?lang=` in the address first, then the one chosen before (stored), then
 * the browser's. Anything starting with "zh" is Chinese; everything else English.
 */
export function pickLang(query: string | null, stored: string | null, browser: readonly string[]): Lang {
  const norm = (s: string | null | undefined): Lang | undefined =>
    !s ? undefined : s.toLowerCase().startsWith('zh') ? 'zh-CN' : s.toLowerCase().startsWith('en') ? 'en' : undefined;
  return norm(query) ?? norm(stored) ?? browser.map(norm).find((l) => l !== undefined) ?? 'en';
}

let current: Lang = 'en';
let msgs: Messages = en;
const texts: Array<{ node: Text; f: (m: Messages) => string }> = [];
const attrs: Array<{ el: Element; name: string; f: (m: Messages) => string }> = [];
const listeners: Array<() => void> = [];

/** The catalogue of the language shown now. */
export const t = (): Messages => msgs;

/** The language shown now. */
export const lang = (): Lang => current;

/** A text node that shows f(catalogue) and follows every change of language. */
export function tr(f: (m: Messages) => string): Text {
  const node = document.createTextNode(f(msgs));
  texts.push({ node, f });
  return node;
}

/** Sets an attribute to f(catalogue) now and at every change of language; returns the element. */
export function trAttr<E extends Element>(el: E, name: string, f: (m: Messages) => string): E {
  el.setAttribute(name, f(msgs));
  attrs.push({ el, name, f });
  return el;
}

/** Calls f after every change of language (to redraw what a lesson shows). */
export function onLang(f: () => void): void {
  listeners.push(f);
}

/** Shows the page in another language: every registered text, attribute and view follows. */
export function setLang(l: Lang): void {
  current = l;
  msgs = CATALOGUES[l];
  document.documentElement.lang = l;
  document.title = msgs.page.title;
  // texts replaced by a redraw are gone from the page: forget them
  for (let i = texts.length - 1; i >= 0; i--) {
    const { node, f } = texts[i]!;
    if (node.isConnected) node.data = f(msgs);
    else texts.splice(i, 1);
  }
  for (let i = attrs.length - 1; i >= 0; i--) {
    const { el, name, f } = attrs[i]!;
    if (el.isConnected) el.setAttribute(name, f(msgs));
    else attrs.splice(i, 1);
  }
  for (const f of listeners) f();
}
