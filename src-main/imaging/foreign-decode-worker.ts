/**
 * Worker-thread entry: decodes BMP and HEIC files, so their decoders never block the thread that answers the UI.
 * Spoken to only by decodeForeignInWorker.
 */
import { read } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { ForeignReply, ForeignRequest } from './foreign-decoder.js';
import { bufferSource, decodeForeign } from './foreign-formats.js';
import { ImageFault } from './photo-error.js';
import { readWithin, type ByteSource } from './photo-file.js';

const port = parentPort!;

/** The main thread's open photo, read through its descriptor and within the size it reported. */
function descriptorSource(fd: number, size: number): ByteSource {
  return {
    size,
    read: (position, length) =>
      readWithin(size, position, length, (buffer, offset, count, at) => {
        return new Promise((resolve, reject) =>
          read(fd, buffer, offset, count, at, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
        );
      }),
  };
}

async function answer(request: ForeignRequest): Promise<void> {
  const { source } = request;
  try {
    const image = await decodeForeign(
      request.format,
      'fd' in source
        ? descriptorSource(source.fd, source.size)
        : bufferSource(Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength)),
      request.minShorterSide,
    );
    const reply: ForeignReply = { image };
    port.postMessage(reply, [image.data.buffer as ArrayBuffer]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reply: ForeignReply = { error: { message, fault: error instanceof ImageFault } };
    port.postMessage(reply);
  }
}

port.on('message', (request: ForeignRequest) => void answer(request));
