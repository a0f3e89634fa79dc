import sharp from 'sharp';

/**
 * What the YuNet face detector (models/yunet-face/model.onnx, libfacedetection.train's yunet_n_dynamic) takes and
 * gives. Detectors have no manifest schema yet, so the facts live here, beside the code that depends on them.
 */
export const YUNET = {
  /** The model file, relative to the models folder. */
  modelFile: 'yunet-face/model.onnx',
  /**
   * The built model's inputs (models/build/build_yunet_face.py): the decoded RGB pixels as uint8, height x width x 3,
   * the size they are scaled to and that size padded; the graph scales, lays out and pads them into upstream's input.
   */
  inputs: { pixels: 'pixels', photoSize: 'photo_size', inputSize: 'input_size' },
  /** The longer side of the letterboxed input: the size the detector was evaluated at (WIDER Face, "640,640"). */
  inputSize: 640,
  /** The dynamic model takes any height and width that are multiples of this. */
  sizeMultiple: 32,
  /** One output set per stride: `cls_8`, `obj_8`, `bbox_8`, `kps_8`, and so on. */
  strides: [8, 16, 32],
  landmarks: 5,
  /** The reference's NMS threshold (tools/compare_inference.py and tools/detect_image.py: --nms_thresh 0.45). */
  nmsIoU: 0.45,
} as const;

export interface Point {
  x: number;
  y: number;
}

/** A detected face, in fractions (0..1) of the photo's width (x) and height (y), whatever size it was decoded at. */
export interface Face {
  /** Top-left corner and size. A face cut by the frame's edge keeps its whole box, which then reaches past 0..1. */
  box: { x: number; y: number; w: number; h: number };
  /** The subject's right eye, left eye, nose tip, right mouth corner, left mouth corner (YuNet's order). */
  landmarks: [Point, Point, Point, Point, Point];
  /** sqrt(cls * obj), 0..1. */
  score: number;
}

export interface Letterboxed {
  /** RGB pixels, 3 channels: the photo as decoded, or shrunk to the photo's size in the input when it was larger. */
  pixels: Uint8Array;
  pixelsWidth: number;
  pixelsHeight: number;
  /** The input's size, multiples of 32. */
  width: number;
  height: number;
  /** How many input pixels the photo covers from the top-left corner: divide by these to get fractions of it. */
  photoWidth: number;
  photoHeight: number;
}

function assertMultiple(size: number): void {
  if (!Number.isInteger(size) || size <= 0 || size % YUNET.sizeMultiple !== 0) {
    throw new Error(
      `The face detector's input size must be a positive multiple of ${YUNET.sizeMultiple}, not ${size}.`,
    );
  }
}

const roundUp = (value: number) => Math.ceil(value / YUNET.sizeMultiple) * YUNET.sizeMultiple;

/**
 * Where YuNet sees RGB pixels (3 channels, `width` x `height`): scaled, keeping the aspect ratio, so the longer side
 * is `size`, in the top-left corner of an input padded to multiples of 32 (as the reference's resize_img), never
 * stretched. The model enlarges and lays out the pixels itself (bilinear, pixel centres aligned, as cv2.resize):
 * doing that here cost about half as much CPU as the detector. Pixels larger than the photo's place are shrunk here
 * first, with sharp's filtering (the model's bilinear sample of every other pixel would alias).
 */
export async function letterbox(
  pixels: Uint8Array,
  width: number,
  height: number,
  size: number = YUNET.inputSize,
): Promise<Letterboxed> {
  assertMultiple(size);
  if (pixels.length !== width * height * 3) {
    throw new Error(
      `Expected ${width}x${height} RGB pixels (${width * height * 3} bytes), got ${pixels.length} bytes.`,
    );
  }
  const factor = size / Math.max(width, height);
  const photoWidth = Math.max(1, Math.round(width * factor));
  const photoHeight = Math.max(1, Math.round(height * factor));
  const placed = { width: roundUp(photoWidth), height: roundUp(photoHeight), photoWidth, photoHeight };
  if (photoWidth >= width && photoHeight >= height) {
    return { pixels, pixelsWidth: width, pixelsHeight: height, ...placed };
  }
  const shrunk = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .resize({ width: photoWidth, height: photoHeight, fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { pixels: shrunk, pixelsWidth: photoWidth, pixelsHeight: photoHeight, ...placed };
}

export interface DecodeOptions {
  /** Faces scoring below this are dropped before NMS. */
  scoreThreshold: number;
  /** Where the photo sits in the input (Letterboxed.photoWidth/photoHeight); the whole input when left out. */
  photoWidth?: number;
  photoHeight?: number;
  nmsIoU?: number;
}

/** A candidate in input pixels: x1, y1, x2, y2, then the landmarks' x, y pairs. */
interface Candidate {
  score: number;
  corners: [number, number, number, number];
  landmarks: number[];
}

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

function outputOf(outputs: Record<string, Float32Array>, name: string, length: number): Float32Array {
  const output = outputs[name];
  if (!output) throw new Error(`The face detector gave no output "${name}".`);
  if (output.length !== length) {
    throw new Error(`The face detector's output "${name}" has ${output.length} values where ${length} were expected.`);
  }
  return output;
}

function candidatesAtStride(
  outputs: Record<string, Float32Array>,
  stride: number,
  inputWidth: number,
  inputHeight: number,
  scoreThreshold: number,
): Candidate[] {
  const columns = Math.floor(inputWidth / stride);
  const cells = columns * Math.floor(inputHeight / stride);
  const cls = outputOf(outputs, `cls_${stride}`, cells);
  const obj = outputOf(outputs, `obj_${stride}`, cells);
  const bbox = outputOf(outputs, `bbox_${stride}`, cells * 4);
  const kps = outputOf(outputs, `kps_${stride}`, cells * YUNET.landmarks * 2);
  const found: Candidate[] = [];
  for (let cell = 0; cell < cells; cell++) {
    const score = Math.sqrt(clamp01(cls[cell]!) * clamp01(obj[cell]!));
    if (score < scoreThreshold) continue;
    // Anchor-free: one prior per cell at its top-left corner; offsets and log sizes are in units of the stride.
    const column = cell % columns;
    const row = Math.floor(cell / columns);
    const cx = (column + bbox[cell * 4]!) * stride;
    const cy = (row + bbox[cell * 4 + 1]!) * stride;
    const w = Math.exp(bbox[cell * 4 + 2]!) * stride;
    const h = Math.exp(bbox[cell * 4 + 3]!) * stride;
    const landmarks: number[] = [];
    for (let k = 0; k < YUNET.landmarks; k++) {
      const at = (cell * YUNET.landmarks + k) * 2;
      landmarks.push((column + kps[at]!) * stride, (row + kps[at + 1]!) * stride);
    }
    found.push({ score, corners: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], landmarks });
  }
  return found;
}

/** Intersection over union of two x1, y1, x2, y2 boxes (OpenCV's NMSBoxes measure, which the reference uses). */
export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy NMS: the best-scoring boxes first; a box overlapping a kept one by more than `threshold` goes. */
export function nonMaximumSuppression<T extends { score: number; corners: readonly number[] }>(
  candidates: T[],
  threshold: number,
): T[] {
  const kept: T[] = [];
  for (const candidate of [...candidates].sort((a, b) => b.score - a.score)) {
    if (kept.every((face) => iou(face.corners, candidate.corners) <= threshold)) kept.push(candidate);
  }
  return kept;
}

/**
 * Faces from YuNet's outputs for an `inputWidth` x `inputHeight` input, decoded as the reference does (strides 8,
 * 16 and 32, one anchor-free prior per cell), scored sqrt(cls * obj) as OpenCV's FaceDetectorYN does, then NMS.
 * Best first, in fractions of the photo.
 */
export function decodeYunet(
  outputs: Record<string, Float32Array>,
  inputWidth: number,
  inputHeight: number,
  options: DecodeOptions,
): Face[] {
  const { scoreThreshold, photoWidth = inputWidth, photoHeight = inputHeight, nmsIoU = YUNET.nmsIoU } = options;
  const candidates = YUNET.strides.flatMap((stride) =>
    candidatesAtStride(outputs, stride, inputWidth, inputHeight, scoreThreshold),
  );
  return nonMaximumSuppression(candidates, nmsIoU).map(({ score, corners: [x1, y1, x2, y2], landmarks }) => {
    const point = (k: number): Point => ({ x: landmarks[k * 2]! / photoWidth, y: landmarks[k * 2 + 1]! / photoHeight });
    return {
      box: { x: x1 / photoWidth, y: y1 / photoHeight, w: (x2 - x1) / photoWidth, h: (y2 - y1) / photoHeight },
      landmarks: [point(0), point(1), point(2), point(3), point(4)],
      score,
    };
  });
}
