import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from '../../src-main/classifier/onnxruntime.js';
import { FaceDetector } from '../../src-main/faces/face-detector.js';
import { decodeYunet, letterbox, YUNET, type Face } from '../../src-main/faces/yunet.js';
import { decodePhoto } from '../../src-main/imaging/decode.js';
import { listFaceDetectors } from '../../src-main/models/model-catalog.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { fileFacts, python, sameModel } from '../model-tooling.js';

const UPSTREAM = join(MODELS_DIR, 'build', 'upstream', 'libfacedetection-yunet', 'yunet_n_dynamic.onnx');
const COMMITTED = join(MODELS_DIR, YUNET.modelFile);
/**
 * The letterbox as upstream YuNet takes it, written out plainly: RGB pixels scaled bilinearly (pixel centres
 * aligned, edges clamped: cv2.resize) to `photoWidth` x `photoHeight`, as float32 BGR planes 0..255 in the top-left
 * corner of `width` x `height`, black elsewhere.
 */
function referenceInput(
  data: Uint8Array,
  from: { width: number; height: number },
  to: { photoWidth: number; photoHeight: number; width: number; height: number },
): Float32Array {
  const tensor = new Float32Array(3 * to.width * to.height);
  const sample = (i: number, size: number, target: number) => {
    const at = Math.min(Math.max(((i + 0.5) * size) / target - 0.5, 0), size - 1);
    const low = Math.floor(at);
    return { low, high: Math.min(low + 1, size - 1), weight: at - low };
  };
  for (let y = 0; y < to.photoHeight; y++) {
    const sy = sample(y, from.height, to.photoHeight);
    for (let x = 0; x < to.photoWidth; x++) {
      const sx = sample(x, from.width, to.photoWidth);
      for (let channel = 0; channel < 3; channel++) {
        const value = (row: number, column: number) => data[(row * from.width + column) * 3 + channel]!;
        const top = value(sy.low, sx.low) + (value(sy.low, sx.high) - value(sy.low, sx.low)) * sx.weight;
        const bottom = value(sy.high, sx.low) + (value(sy.high, sx.high) - value(sy.high, sx.low)) * sx.weight;
        tensor[(2 - channel) * to.width * to.height + y * to.width + x] = top + (bottom - top) * sy.weight;
      }
    }
  }
  return tensor;
}

describe('the face detector model with its letterbox in the graph', () => {
  const options = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  /** Low enough that weak detections are compared too, not only the faces the rules keep. */
  const scoreThreshold = 0.3;
  let upstream: ort.InferenceSession;
  let detector: FaceDetector;
  before(async () => {
    upstream = await ort.InferenceSession.create(UPSTREAM, options);
    detector = new FaceDetector(await ort.InferenceSession.create(join(MODELS_DIR, YUNET.modelFile), options), {
      scoreThreshold,
    });
  });
  after(async () => {
    await upstream.release();
    await detector.release();
  });

  async function upstreamFaces(data: Uint8Array, width: number, height: number): Promise<Face[]> {
    const input = await letterbox(data, width, height);
    const tensor = referenceInput(input.pixels, { width: input.pixelsWidth, height: input.pixelsHeight }, input);
    const results = await upstream.run({ input: new ort.Tensor('float32', tensor, [1, 3, input.height, input.width]) });
    const outputs = Object.fromEntries(Object.entries(results).map(([name, t]) => [name, t.data as Float32Array]));
    return decodeYunet(outputs, input.width, input.height, {
      scoreThreshold,
      photoWidth: input.photoWidth,
      photoHeight: input.photoHeight,
    });
  }

  it('finds the faces upstream YuNet finds on a letterbox made in JavaScript, at the same places and scores', async () => {
    // Enlarged from the pipeline's 256 px decode, and shrunk from a decode larger than the input.
    const cases: [string, number][] = [
      ['face.jpg', 256],
      ['grace_hopper.bmp', 256],
      ['kite_and_cold.jpg', 256],
      ['pets.jpg', 256],
      ['cat.bmp', 256],
      ['face.jpg', 1000],
      ['grace_hopper.bmp', 1000],
    ];
    let compared = 0;
    for (const [name, side] of cases) {
      const decoded = await decodePhoto(photo(name), side);
      const expected = await upstreamFaces(decoded.data, decoded.width, decoded.height);
      const found = await detector.detect(decoded.data, decoded.width, decoded.height);
      const what = `${name} at ${side}: ${JSON.stringify(found)} against ${JSON.stringify(expected)}`;
      assert.equal(found.length, expected.length, what);
      found.forEach((face, i) => {
        const other = expected[i]!;
        assert.ok(Math.abs(face.score - other.score) < 1e-3, what);
        for (const key of ['x', 'y', 'w', 'h'] as const)
          assert.ok(Math.abs(face.box[key] - other.box[key]) < 1e-3, what);
        face.landmarks.forEach((point, k) => {
          assert.ok(Math.abs(point.x - other.landmarks[k]!.x) + Math.abs(point.y - other.landmarks[k]!.y) < 2e-3, what);
        });
      });
      compared += found.length;
    }
    assert.ok(compared >= 6, `${compared} faces compared`);
  });

  it('is the model models/build/build_yunet_face.py builds, and the manifest pins its size and sha256', () => {
    const out = tempDir();
    python('models/build/build_yunet_face.py', '--out', out);
    // The same model, not the same bytes: another python3-onnx may write the same graph differently.
    assert.equal(sameModel(join(out, 'yunet-face', 'model.onnx'), COMMITTED), '');
    const entry = listFaceDetectors({ embedded: MODELS_DIR, user: join(out, 'no-user-models') }).find(
      ({ manifest }) => manifest.id === 'yunet-face',
    );
    assert.ok(entry, 'models/yunet-face is listed');
    const { size, sha256 } = entry.manifest;
    assert.deepEqual(fileFacts(COMMITTED), { size, sha256 });
  });
});

describe('models/build/same_model.py, which the rebuild is checked with', () => {
  it('takes the model written in other bytes (typed fields for raw data, attributes reordered) as the same', () => {
    const other = join(tempDir(), 'other.onnx');
    python('test/reference/rewrite_onnx.py', COMMITTED, other, '--other-bytes');
    assert.notEqual(fileFacts(other).sha256, fileFacts(COMMITTED).sha256);
    assert.equal(sameModel(other, COMMITTED), '');
  });

  it('names the node of a model that computes something else: the letterbox scaling to the nearest pixel', () => {
    const nearest = join(tempDir(), 'nearest.onnx');
    python('test/reference/rewrite_onnx.py', COMMITTED, nearest, '--set', 'letterbox/scale', 'mode', 'nearest');
    assert.match(
      sameModel(nearest, COMMITTED),
      /is not the model .* is: node 5 \(Resize 'letterbox\/scale'\) differs in its attributes: mode b'nearest' against b'linear'\./,
    );
  });

  it('takes a model holding strings as itself: strings compare by value, not by where Python keeps them', () => {
    const strings = join(tempDir(), 'strings.onnx');
    python('test/reference/rewrite_onnx.py', COMMITTED, strings, '--add', 'string-constant');
    assert.equal(sameModel(strings, strings), '');
  });

  it('names a model with a local function or a sparse initializer the committed one lacks', () => {
    for (const [what, difference] of [
      ['function', "the model's local functions differ"],
      ['sparse-initializer', 'the sparse initializers differ'],
    ] as const) {
      const other = join(tempDir(), `${what}.onnx`);
      python('test/reference/rewrite_onnx.py', COMMITTED, other, '--add', what);
      assert.match(sameModel(other, COMMITTED), new RegExp(`is not the model .* is: ${difference}\\.$`), what);
    }
  });

  it('takes the same model as the same when Python also writes to stderr and exits 0', () => {
    // PYTHONVERBOSE makes Python list its imports on stderr, as a warning from numpy or onnx would.
    process.env.PYTHONVERBOSE = '1';
    try {
      assert.equal(sameModel(COMMITTED, COMMITTED), '');
    } finally {
      delete process.env.PYTHONVERBOSE;
    }
  });
});
