import * as ort from '../classifier/onnxruntime.js';
import { faceCrop } from './people-rules.js';
import { decodeYunet, letterbox, YUNET, type Face } from './yunet.js';

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

/**
 * YuNet over one session: the faces it finds in RGB pixels (3 channels, `width` x `height`), in fractions of the
 * photo. The session holds models/yunet-face/model.onnx; inference blocks its thread, so this belongs in the worker
 * that owns inference. It keeps the last photo's input tensor to lay the next one into (see letterbox).
 */
export class FaceDetector {
  private spare: Float32Array | undefined;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly options: DetectOptions = {},
  ) {}

  async detect(pixels: Buffer, width: number, height: number): Promise<Face[]> {
    const { size = YUNET.inputSize, scoreThreshold = MIN_FACE_SCORE } = this.options;
    // Taken while in use, so two photos detected at once never share a tensor.
    const spare = this.spare;
    this.spare = undefined;
    const input = await letterbox(pixels, width, height, size, spare);
    const feeds = { [YUNET.inputName]: new ort.Tensor('float32', input.tensor, [1, 3, input.height, input.width]) };
    const results = await this.session.run(feeds);
    this.spare = input.tensor;
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
