import * as ort from '../classifier/onnxruntime.js';
import { faceCrop } from './people-rules.js';
import { decodeYunet, letterbox, YUNET, type Face, type Letterboxed } from './yunet.js';

export interface RgbPixels {
  data: Buffer;
  width: number;
  height: number;
}

export interface DetectOptions {
  /** The letterboxed input's longer side, a multiple of 32. */
  size?: number;
  /** The lowest score a face is kept with. */
  scoreThreshold?: number;
}

/** Below this YuNet's detections are mostly noise; the People rules then ask for more (see people-rules.ts). */
export const MIN_FACE_SCORE = 0.5;

/** The built model's feeds for one letterboxed photo (see YUNET.inputs). */
function feedsOf(input: Letterboxed): Record<string, ort.Tensor> {
  const pair = (height: number, width: number) =>
    new ort.Tensor('int64', BigInt64Array.from([BigInt(height), BigInt(width)]), [2]);
  return {
    [YUNET.inputs.pixels]: new ort.Tensor('uint8', input.pixels, [input.pixelsHeight, input.pixelsWidth, 3]),
    [YUNET.inputs.photoSize]: pair(input.photoHeight, input.photoWidth),
    [YUNET.inputs.inputSize]: pair(input.height, input.width),
  };
}

/**
 * YuNet over one session: the faces it finds in RGB pixels (3 channels, `width` x `height`), in fractions of the
 * photo. The session holds models/yunet-face/model.onnx; inference blocks its thread, so this belongs in the worker
 * that owns inference.
 */
export class FaceDetector {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly options: DetectOptions = {},
  ) {}

  async detect(pixels: Uint8Array, width: number, height: number): Promise<Face[]> {
    const { size = YUNET.inputSize, scoreThreshold = MIN_FACE_SCORE } = this.options;
    const input = await letterbox(pixels, width, height, size);
    const results = await this.session.run(feedsOf(input));
    const outputs = Object.fromEntries(
      Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]),
    );
    return decodeYunet(outputs, input.width, input.height, {
      scoreThreshold,
      photoWidth: input.photoWidth,
      photoHeight: input.photoHeight,
    });
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * The square around a face (people-rules faceCrop) cut from the RGB pixels it was found in: what the classifier
 * looks at to tell a person's face from an animal's.
 */
export function facePixels(pixels: Buffer, width: number, height: number, face: Face): RgbPixels {
  const region = faceCrop(face, width, height);
  const data = Buffer.alloc(region.width * region.height * 3);
  for (let row = 0; row < region.height; row++) {
    const start = ((region.top + row) * width + region.left) * 3;
    pixels.copy(data, row * region.width * 3, start, start + region.width * 3);
  }
  return { data, width: region.width, height: region.height };
}
