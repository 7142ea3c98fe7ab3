import { packageBuild } from '../../tsup.shared';

// Code shared by the entries goes into common chunks in both formats, so `@gd/nn`, `@gd/nn/node`
// and `@gd/nn/onnx` see the same classes (an exported Linear is a Linear to the exporter).
const config = packageBuild(['src/index.ts', 'src/node.ts', 'src/onnx.ts']);
export default { ...config, splitting: true };
