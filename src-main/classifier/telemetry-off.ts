/**
 * onnxruntime's official POSIX builds (1.29 on) collect telemetry by default: they queue events (a device id, the
 * CPU, the OS) under ~/.cache/Microsoft/DeveloperTools/.onnxruntime and try to upload them to Microsoft. A private
 * photo app sends nothing anywhere, so this turns it off. The JS API (ort.env) has no switch for it; the native
 * library reads ORT_DISABLE_TELEMETRY from the process environment, so it must be set before that library loads.
 *
 * This module sets it and nothing else, so that importing it first (see onnxruntime.ts) runs it before
 * onnxruntime-node is evaluated. In a worker thread process.env is a private copy that native code never sees: the
 * thread that starts a worker which loads onnxruntime imports this module first (taggers/tagger-worker-client.ts does).
 */
process.env.ORT_DISABLE_TELEMETRY = '1';
