// The official ONNX schema (onnx.proto of ONNX v1.20.0, as protobufjs JSON; see
// scripts/onnx-schema.mjs) loaded into protobufjs's light runtime, which encodes and decodes the
// protobuf wire format. Field names are the .proto's own (ir_version, opset_import, raw_data …).
import protobuf from 'protobufjs/light.js';
import schema from './onnx.schema.json';

const root = protobuf.Root.fromJSON(schema as protobuf.INamespace);

/** onnx.ModelProto: encode(fromObject(…)).finish() writes a model; decode reads one. */
export const ModelProto = root.lookupType('onnx.ModelProto');

/** TensorProto.DataType numbers by name (FLOAT = 1, DOUBLE = 11, …). */
export const DataType = root.lookupEnum('onnx.TensorProto.DataType').values as Record<string, number>;

/** AttributeProto.AttributeType numbers by name (FLOAT = 1, INT = 2, …). */
export const AttributeType = root.lookupEnum('onnx.AttributeProto.AttributeType').values as Record<string, number>;
