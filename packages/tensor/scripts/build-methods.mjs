// Generates src/generated/methods.ts: Tensor's fluent methods, made from the op functions. A method
// `t.op(...rest)` is the function `op(t, ...rest)`, with the function's documentation and its
// parameters after the first. Every op generated from the kernel codes (src/generated/unary.ts and
// binary.ts, written by build-wasm.mjs, which runs first) and every exported function of src/ops/elementwise.ts
// becomes a method (a new unary op is a method with no line here), and so do the ops of the other
// families listed below. The file declares the methods (the `TensorMethods` interface, which the Tensor class
// merges, so the .d.ts and the API docs show each one) and holds the functions src/methods.ts
// installs on the class.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const opsDir = join(root, 'src', 'ops');

/** Family file → its ops that are methods too ('*': every exported function). */
const METHODS = {
  unary: '*',
  elementwise: '*',
  binary: '*',
  broadcast: ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'maskedFill'],
  cast: ['cast', 'clone'],
  matmul: ['matmul'],
  layout: [
    'transpose',
    'permute',
    'reshape',
    'expandDims',
    'squeeze',
    'broadcastTo',
    'slice',
    'narrow',
    'sliceRange',
    'gather',
    'oneHot',
    'tril',
    'triu',
    'split',
    'chunk',
  ],
  reduce: ['sum', 'mean', 'max', 'min', 'argmax', 'argmin', 'variance', 'std', 'cumsum'],
  softmax: ['logSumExp', 'softmax', 'logSoftmax'],
  conv: ['conv2d', 'convTranspose2d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d'],
  sort: ['topk'],
};

/** Ops whose method has another name: a function cannot be named `var` in JavaScript, a method can (PyTorch's `x.var()`). */
const METHOD_NAMES = { variance: 'var' };

/** The families that are generated files (src/generated/) rather than src/ops/ files. */
const GENERATED = new Set(['unary', 'binary']);
const fileOf = (family) => (GENERATED.has(family) ? join(root, 'src', 'generated', `${family}.ts`) : join(opsDir, `${family}.ts`));
const files = Object.keys(METHODS).map(fileOf);
const program = ts.createProgram(files, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
});
const checker = program.getTypeChecker();

/** The function an export names: a function declaration, or a const bound to an arrow function. */
function functionOf(decl) {
  if (ts.isFunctionDeclaration(decl)) return decl;
  if (ts.isVariableDeclaration(decl) && decl.initializer && ts.isArrowFunction(decl.initializer)) return decl.initializer;
  return undefined;
}

const methods = [];
const typeImports = new Map(); // module path → type names
for (const [family, wanted] of Object.entries(METHODS)) {
  const source = program.getSourceFile(fileOf(family));
  const moduleSymbol = checker.getSymbolAtLocation(source);
  // in source order, so the methods read as the files do
  const exported = checker.getExportsOfModule(moduleSymbol).filter((s) => s.valueDeclaration?.getSourceFile() === source);
  exported.sort((a, b) => a.valueDeclaration.pos - b.valueDeclaration.pos);
  for (const symbol of exported) {
    const name = symbol.getName();
    if (wanted !== '*' && !wanted.includes(name)) continue;
    const decl = symbol.valueDeclaration;
    const fn = decl && functionOf(decl);
    if (!fn) continue;
    const docHost = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
    const doc = ts.getJSDocCommentsAndTags(docHost).map((d) => d.getText(source));
    if (doc.length === 0) throw new Error(`build-methods: ${family}.ts: ${name} has no documentation comment`);
    const params = fn.parameters.slice(1).map((p) => {
      const type = p.type ? p.type.getText(source) : checker.typeToString(checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(p)));
      if (p.type) collectTypes(p.type, source);
      return `${p.name.getText(source)}${p.questionToken || p.initializer ? '?' : ''}: ${type}`;
    });
    if (!fn.type) throw new Error(`build-methods: ${family}.ts: ${name} needs a declared return type`);
    collectTypes(fn.type, source);
    methods.push({ family, name, method: METHOD_NAMES[name] ?? name, doc: doc.join('\n'), params, returns: fn.type.getText(source) });
  }
  if (wanted !== '*') {
    const missing = wanted.filter((n) => !methods.some((m) => m.family === family && m.name === n));
    if (missing.length > 0) throw new Error(`build-methods: ${family}.ts does not export ${missing.join(', ')}`);
  }
}

/** Records where each named type of a signature is declared, for the generated imports. */
function collectTypes(node, source) {
  const visit = (n) => {
    if (ts.isTypeReferenceNode(n)) {
      let symbol = checker.getSymbolAtLocation(n.typeName);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const where = symbol?.declarations?.[0]?.getSourceFile();
      if (where && !where.isDeclarationFile) {
        const path = `../${relative(join(root, 'src'), where.fileName).replace(/\.ts$/, '.js')}`;
        if (!typeImports.has(path)) typeImports.set(path, new Set());
        typeImports.get(path).add(n.typeName.getText(source));
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
}

const indent = (text) =>
  text
    .split('\n')
    .map((line) => (line.trimStart().startsWith('*') ? `   ${line.trimStart()}` : `  ${line.trimStart()}`))
    .join('\n');
const families = Object.keys(METHODS);
const out = [
  '// Generated by scripts/build-methods.mjs from src/ops/*.ts. Do not edit.',
  ...[...typeImports].sort().map(([path, names]) => `import type { ${[...names].sort().join(', ')} } from '${path}';`),
  ...families.map((f) => `import * as ${f} from '${GENERATED.has(f) ? '.' : '../ops'}/${f}.js';`),
  '',
  '/** The methods every Tensor has, each the op function of the same name with the tensor as its first operand. */',
  'export interface TensorMethods {',
  ...methods.map((m) => `${indent(m.doc)}\n  ${m.method}(${m.params.join(', ')}): ${m.returns};`),
  '}',
  '',
  '/** The op function behind each method. @internal */',
  'export const methodOps = {',
  ...methods.map((m) => `  ${m.method}: ${m.family}.${m.name},`),
  '};',
  '',
];
mkdirSync(join(root, 'src', 'generated'), { recursive: true });
writeFileSync(join(root, 'src', 'generated', 'methods.ts'), out.join('\n'));
console.log(`build-methods: ${methods.length} Tensor methods from ${families.length} op families`);
