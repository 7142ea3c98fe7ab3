// Regenerates src/onnx/onnx.schema.json, the protobufjs JSON form of the official ONNX schema
// (src/onnx/onnx.proto, onnx/onnx.proto of ONNX v1.20.0, Apache-2.0). The exporter loads the
// JSON with protobufjs's light build, so no .proto parser ships to users. A test checks that the
// JSON still equals what this script makes from the .proto.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';

const dir = join(import.meta.dirname, '..', 'src', 'onnx');

/** The JSON descriptor of the ONNX schema, with the .proto's field names (snake_case) kept. */
export function onnxSchemaJson() {
  const text = readFileSync(join(dir, 'onnx.proto'), 'utf8');
  return protobuf.parse(text, { keepCase: true }).root.toJSON();
}

if (process.argv[1] === import.meta.filename) {
  writeFileSync(join(dir, 'onnx.schema.json'), `${JSON.stringify(onnxSchemaJson(), null, 1)}\n`);
  console.log('wrote src/onnx/onnx.schema.json');
}
