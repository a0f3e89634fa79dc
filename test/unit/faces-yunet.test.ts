import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeYunet, iou, letterbox, nonMaximumSuppression, YUNET } from '../../src-main/faces/yunet.js';

/** `width` x `height` RGB pixels, every one `rgb`, with `paint` drawing over them. */
function pixels(
  width: number,
  height: number,
  rgb: [number, number, number],
  paint?: (x: number, y: number) => boolean,
) {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const lit = paint?.(i % width, Math.floor(i / width));
    data.set(lit ? [255, 255, 255] : rgb, i * 3);
  }
  return data;
}

describe('letterbox', () => {
  it('scales the longer side to the input size and pads the shorter one to a multiple of 32, keeping the aspect', async () => {
    const wide = await letterbox(pixels(300, 200, [0, 0, 0]), 300, 200);
    assert.deepEqual([wide.width, wide.height, wide.photoWidth, wide.photoHeight], [640, 448, 640, 427]);
    const tall = await letterbox(pixels(100, 300, [0, 0, 0]), 100, 300, 320);
    assert.deepEqual([tall.width, tall.height, tall.photoWidth, tall.photoHeight], [128, 320, 107, 320]);
  });

  it('leaves pixels to enlarge as they are (the model enlarges them) and shrinks larger ones to their place', async () => {
    const small = pixels(64, 32, [1, 2, 3]);
    const enlarged = await letterbox(small, 64, 32);
    assert.equal(enlarged.pixels, small, 'the same memory');
    assert.deepEqual([enlarged.pixelsWidth, enlarged.pixelsHeight], [64, 32]);
    const shrunk = await letterbox(pixels(1280, 320, [10, 20, 30]), 1280, 320);
    assert.deepEqual([shrunk.pixelsWidth, shrunk.pixelsHeight, shrunk.width, shrunk.height], [640, 160, 640, 160]);
    assert.equal(shrunk.pixels.length, 640 * 160 * 3);
    assert.deepEqual([...shrunk.pixels.subarray(0, 3)], [10, 20, 30]);
  });

  it('refuses sizes that are not multiples of 32 and pixels of the wrong length, saying what was expected', async () => {
    await assert.rejects(letterbox(pixels(10, 10, [0, 0, 0]), 10, 10, 100), /multiple of 32, not 100/);
    await assert.rejects(letterbox(Buffer.alloc(10), 10, 10), /Expected 10x10 RGB pixels \(300 bytes\), got 10 bytes/);
  });
});

interface Planted {
  stride: number;
  column: number;
  row: number;
  cls: number;
  obj: number;
  bbox: [number, number, number, number];
  kps?: number[];
}

/** YuNet's twelve outputs for a `width` x `height` input, all zero but for the planted cells. */
function outputs(width: number, height: number, planted: Planted[]): Record<string, Float32Array> {
  const result: Record<string, Float32Array> = {};
  for (const stride of YUNET.strides) {
    const cells = Math.floor(width / stride) * Math.floor(height / stride);
    result[`cls_${stride}`] = new Float32Array(cells);
    result[`obj_${stride}`] = new Float32Array(cells);
    result[`bbox_${stride}`] = new Float32Array(cells * 4);
    result[`kps_${stride}`] = new Float32Array(cells * 10);
  }
  for (const { stride, column, row, cls, obj, bbox, kps = new Array(10).fill(0) } of planted) {
    const cell = row * Math.floor(width / stride) + column;
    result[`cls_${stride}`]![cell] = cls;
    result[`obj_${stride}`]![cell] = obj;
    result[`bbox_${stride}`]!.set(bbox, cell * 4);
    result[`kps_${stride}`]!.set(kps, cell * 10);
  }
  return result;
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} is not ${expected}`);

describe('decodeYunet', () => {
  it('decodes a box and landmarks from the cell, the stride and the offsets, in fractions of the photo', () => {
    const raw = outputs(64, 64, [
      {
        stride: 8,
        column: 3,
        row: 2,
        cls: 0.81,
        obj: 1,
        bbox: [0.5, 0.5, Math.log(2), Math.log(4)],
        kps: [0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1],
      },
    ]);
    const [face, ...rest] = decodeYunet(raw, 64, 64, { scoreThreshold: 0.5 });
    assert.equal(rest.length, 0);
    close(face!.score, 0.9, 'score = sqrt(cls * obj)');
    // Centre (3.5, 2.5) cells of 8 = (28, 20); size 2 x 4 strides = 16 x 32.
    const { x, y, w, h } = face!.box;
    [x, y, w, h].forEach((value, i) => close(value, [20 / 64, 4 / 64, 16 / 64, 32 / 64][i]!, 'box'));
    const expected = [
      [24, 16],
      [32, 16],
      [28, 20],
      [24, 24],
      [32, 24],
    ];
    face!.landmarks.forEach((point, k) => {
      close(point.x, expected[k]![0]! / 64, `landmark ${k} x`);
      close(point.y, expected[k]![1]! / 64, `landmark ${k} y`);
    });
  });

  it('reads every stride and maps to the photo, not to the padding', () => {
    const kps = [0, 0, 0, 0, 0, 0.75, 0, 0, 0, 0];
    const raw = outputs(64, 64, [{ stride: 32, column: 1, row: 0, cls: 1, obj: 1, bbox: [0, 0.5, 0, 0], kps }]);
    const [face] = decodeYunet(raw, 64, 64, { scoreThreshold: 0.5, photoWidth: 64, photoHeight: 48 });
    // Centre (32, 16), 32 x 32, of a photo covering 64 x 48 input pixels.
    [face!.box.x, face!.box.y, face!.box.w, face!.box.h].forEach((value, i) =>
      close(value, [16 / 64, 0, 32 / 64, 32 / 48][i]!, 'box'),
    );
    close(face!.landmarks[2].x, 32 / 64, 'nose x');
    close(face!.landmarks[2].y, 24 / 48, 'nose y');
  });

  it('clamps cls and obj to 0..1 before scoring and drops faces below the threshold', () => {
    const raw = outputs(64, 64, [
      { stride: 8, column: 0, row: 0, cls: 1.3, obj: 0.36, bbox: [0, 0, 0, 0] },
      { stride: 8, column: 7, row: 7, cls: -0.2, obj: 1, bbox: [0, 0, 0, 0] },
      { stride: 16, column: 3, row: 3, cls: 0.25, obj: 0.5, bbox: [0, 0, 0, 0] },
    ]);
    const faces = decodeYunet(raw, 64, 64, { scoreThreshold: 0.5 });
    assert.equal(faces.length, 1);
    close(faces[0]!.score, 0.6, 'min(1.3, 1) * 0.36');
    assert.equal(decodeYunet(raw, 64, 64, { scoreThreshold: 0.3 }).length, 2);
  });

  it('keeps the better of two overlapping faces, and faces apart from each other, best first', () => {
    const raw = outputs(64, 64, [
      // 16 x 16 boxes at (12, 12), scoring 0.8, and at (14, 12), scoring 0.9: IoU 0.78.
      { stride: 8, column: 2, row: 2, cls: 0.64, obj: 1, bbox: [0.5, 0.5, Math.log(2), Math.log(2)] },
      { stride: 16, column: 1, row: 1, cls: 0.81, obj: 1, bbox: [0.375, 0.25, 0, 0] },
      { stride: 8, column: 6, row: 6, cls: 0.49, obj: 1, bbox: [0, 0, 0, 0] },
    ]);
    const faces = decodeYunet(raw, 64, 64, { scoreThreshold: 0.5 });
    assert.deepEqual(
      faces.map((face) => Math.round(face.score * 100)),
      [90, 70],
    );
    close(faces[0]!.box.x, 14 / 64, 'the better one stays');
  });

  it('says which output is missing or of the wrong size', () => {
    const raw = outputs(64, 64, []);
    delete raw.kps_16;
    assert.throws(() => decodeYunet(raw, 64, 64, { scoreThreshold: 0.5 }), /no output "kps_16"/);
    assert.throws(
      () => decodeYunet(outputs(64, 32, []), 64, 64, { scoreThreshold: 0.5 }),
      /output "cls_8" has 32 values where 64 were expected/,
    );
  });
});

describe('non-maximum suppression', () => {
  const box = (score: number, corners: number[]) => ({ score, corners });

  it('measures overlap as intersection over union', () => {
    assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
    assert.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
    assert.equal(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0);
  });

  it("drops a box overlapping a better one by more than the threshold (the reference's 0.45)", () => {
    const best = box(0.9, [0, 0, 10, 10]);
    const overlapping = box(0.8, [0, 0, 10, 8]); // IoU 0.8
    const touching = box(0.7, [4, 0, 14, 10]); // IoU 0.43 with the best
    const apart = box(0.6, [50, 50, 60, 60]);
    assert.deepEqual(nonMaximumSuppression([apart, touching, overlapping, best], YUNET.nmsIoU), [
      best,
      touching,
      apart,
    ]);
  });
});
