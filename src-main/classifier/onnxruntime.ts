// The only way into onnxruntime-node: importing telemetry-off first makes ESM evaluate it before onnxruntime-node,
// so telemetry is off before the native library loads (eslint.config.js refuses direct imports).
import './telemetry-off.js';

export * from 'onnxruntime-node';
