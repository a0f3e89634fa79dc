import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  faceCrop,
  humanGeometry,
  peopleTags,
  requiredScore,
  undecidedFaces,
  withFaceCount,
  type CategoryScore,
} from '../../src-main/faces/people-rules.js';
import type { Face, Point } from '../../src-main/faces/yunet.js';

/** Landmarks of a face seen from the front, in fractions of its box (x of the width, y of the height). */
const FRONTAL: [number, number][] = [
  [0.3, 0.4],
  [0.75, 0.4],
  [0.52, 0.58],
  [0.35, 0.75],
  [0.7, 0.75],
];

/** A face in a square photo: box at (x, y), `size` wide and 1.3 times as tall, landmarks laid out as `layout`. */
function face(x: number, y: number, size: number, score: number, layout = FRONTAL, degrees = 0): Face {
  const h = size * 1.3;
  const centre = { x: x + size / 2, y: y + h / 2 };
  const turn = (degrees * Math.PI) / 180;
  const point = ([px, py]: [number, number]): Point => {
    const dx = x + px * size - centre.x;
    const dy = y + py * h - centre.y;
    return {
      x: centre.x + dx * Math.cos(turn) - dy * Math.sin(turn),
      y: centre.y + dx * Math.sin(turn) + dy * Math.cos(turn),
    };
  };
  const [a, b, c, d, e] = layout.map(point) as Face['landmarks'];
  return { box: { x, y, w: size, h }, landmarks: [a, b, c, d, e], score };
}

const tagsOf = (faces: Face[], categories: CategoryScore[] = []) =>
  peopleTags({ faces, aspect: 1, categories }).map(withFaceCount);

describe('the People rules', () => {
  it('tags one face that dominates the frame as People and Portrait', () => {
    assert.deepEqual(tagsOf([face(0.35, 0.2, 0.3, 0.93)]), ['People · 1', 'Portrait · 1']);
    const [people, portrait] = peopleTags({ faces: [face(0.35, 0.2, 0.3, 0.93)], aspect: 1, categories: [] });
    assert.deepEqual(people, { id: 'people', name: 'People', score: 0.93, faceCount: 1 });
    assert.equal(portrait!.id, 'portrait');
  });

  it('tags three faces as a Group that carries the count, scored by its weakest face', () => {
    const faces = [face(0.05, 0.3, 0.2, 0.95), face(0.4, 0.3, 0.2, 0.9), face(0.75, 0.3, 0.2, 0.8)];
    assert.deepEqual(tagsOf(faces), ['People · 3', 'Group · 3']);
    assert.equal(peopleTags({ faces, aspect: 1, categories: [] })[1]!.score, 0.8);
  });

  it('makes no Portrait of two faces alike, of a small face, or of a face at the edge', () => {
    assert.deepEqual(tagsOf([face(0.1, 0.3, 0.3, 0.9), face(0.55, 0.3, 0.28, 0.92)]), ['People · 2']);
    assert.deepEqual(tagsOf([face(0.45, 0.3, 0.1, 0.9)]), ['People · 1'], 'a face covering 1.3% of the photo');
    assert.deepEqual(tagsOf([face(0.85, 0.3, 0.3, 0.9)]), ['People · 1'], 'its centre at x = 1.0');
  });

  it('still makes a Portrait when the other faces are far smaller, and counts them', () => {
    assert.deepEqual(tagsOf([face(0.3, 0.2, 0.4, 0.9), face(0.02, 0.02, 0.1, 0.91)]), ['People · 2', 'Portrait · 2']);
  });

  it('gives no People for a face the classifier calls a dog, unless it scores like a person', () => {
    const dog = [{ id: 'dog', score: 0.9 }];
    assert.deepEqual(tagsOf([face(0.3, 0.2, 0.4, 0.85)], dog), []);
    assert.deepEqual(tagsOf([face(0.3, 0.2, 0.4, 0.85)], [{ id: 'clothing', score: 0.9 }]), [
      'People · 1',
      'Portrait · 1',
    ]);
    assert.deepEqual(tagsOf([face(0.3, 0.2, 0.4, 0.94)], dog), ['People · 1', 'Portrait · 1'], 'someone holding a dog');
  });

  it('adds up the animal categories: half a cat and a bit of mammal is an animal', () => {
    assert.deepEqual(
      tagsOf(
        [face(0.3, 0.2, 0.4, 0.89)],
        [
          { id: 'cat', score: 0.45 },
          { id: 'mammal', score: 0.2 },
        ],
      ),
      [],
    );
  });

  it("lets a face's own crop speak for it: a person beside a cat is People, a patch of the cat's fur is not", () => {
    const cat = [{ id: 'cat', score: 0.98 }];
    const input = (score: number, crop: CategoryScore[]) => ({
      faces: [face(0.1, 0.5, 0.1, score)],
      aspect: 1,
      categories: cat,
      faceCategories: [crop],
    });
    assert.deepEqual(peopleTags({ ...input(0.9, []), faceCategories: [] }), [], 'the photo alone reads Cat');
    assert.deepEqual(peopleTags(input(0.9, [{ id: 'clothing', score: 0.8 }])).map(withFaceCount), ['People · 1']);
    const fur = [
      { id: 'dog', score: 0.18 },
      { id: 'mammal', score: 0.16 },
    ];
    assert.deepEqual(peopleTags(input(0.89, fur)), []);
    assert.deepEqual(peopleTags(input(0.9, [{ id: 'cat', score: 0.95 }])), [], "the cat's own face");
  });

  it('names the faces worth classifying a crop of: good geometry, a score the categories decide', () => {
    const faces = [face(0.1, 0.1, 0.2, 0.95), face(0.4, 0.1, 0.2, 0.8), face(0.7, 0.1, 0.2, 0.6)];
    faces.push(face(0.1, 0.5, 0.2, 0.8, [[0.1, 0.4], [0.9, 0.4], ...FRONTAL.slice(2)]));
    assert.deepEqual(undecidedFaces({ faces, aspect: 1 }), [1]);
  });

  it('crops a square of 1.6 times the face around it, kept inside the photo', () => {
    const square = face(0.4, 0.4, 0.1, 0.9);
    assert.deepEqual(faceCrop(square, 1000, 1000), { left: 346, top: 361, width: 208, height: 208 });
    assert.deepEqual(faceCrop(face(0.9, 0, 0.2, 0.9), 500, 250), { left: 340, top: 0, width: 160, height: 160 });
    assert.deepEqual(faceCrop(face(0, 0, 0.9, 0.9), 200, 100), { left: 40, top: 0, width: 100, height: 100 });
  });

  it('asks more of a face the surer the classifier is of an animal', () => {
    assert.equal(requiredScore(0), 0.7);
    assert.ok(Math.abs(requiredScore(0.3) - 0.81) < 1e-9);
    assert.equal(requiredScore(0.6), 0.92);
    assert.equal(requiredScore(1), 0.92);
  });

  it('drops faces scoring below 0.7 even with no animal in sight', () => {
    assert.deepEqual(tagsOf([face(0.3, 0.2, 0.4, 0.69)]), []);
  });

  it("refuses landmarks laid out like an animal's, whatever the score", () => {
    const wideEyes: [number, number][] = [[0.1, 0.4], [0.9, 0.4], ...FRONTAL.slice(2)];
    const longMuzzle: [number, number][] = [...FRONTAL.slice(0, 2), [0.52, 0.7], [0.4, 0.95], [0.62, 0.95]];
    const noseAside: [number, number][] = [...FRONTAL.slice(0, 2), [1.0, 0.58], ...FRONTAL.slice(3)];
    for (const layout of [wideEyes, longMuzzle, noseAside]) {
      assert.equal(humanGeometry(face(0.3, 0.2, 0.4, 0.97, layout), 1), false, JSON.stringify(layout));
    }
    assert.deepEqual(tagsOf([face(0.3, 0.2, 0.4, 0.97, longMuzzle)]), []);
  });

  it('accepts a tilted head, and refuses a nose above the eyes or a mouth above the nose', () => {
    assert.equal(humanGeometry(face(0.3, 0.2, 0.4, 0.9, FRONTAL, 30), 1), true);
    assert.equal(humanGeometry(face(0.3, 0.2, 0.4, 0.9, FRONTAL, -45), 1), true);
    const noseUp: [number, number][] = [...FRONTAL.slice(0, 2), [0.52, 0.3], ...FRONTAL.slice(3)];
    const mouthUp: [number, number][] = [...FRONTAL.slice(0, 3), [0.35, 0.5], [0.7, 0.5]];
    assert.equal(humanGeometry(face(0.3, 0.2, 0.4, 0.9, noseUp), 1), false);
    assert.equal(humanGeometry(face(0.3, 0.2, 0.4, 0.9, mouthUp), 1), false);
  });

  it("measures geometry in the photo's pixels, not in fractions of its sides", () => {
    // The same face in a photo twice as wide as tall: its x fractions are halved.
    const square = face(0.3, 0.2, 0.4, 0.9);
    const halveX = (p: Point): Point => ({ x: p.x / 2, y: p.y });
    const wide: Face = {
      ...square,
      box: { ...square.box, x: square.box.x / 2, w: square.box.w / 2 },
      landmarks: square.landmarks.map(halveX) as Face['landmarks'],
    };
    assert.equal(humanGeometry(wide, 2), true);
    assert.equal(humanGeometry(wide, 0.5), false, 'read as a tall photo, the mouth sits four times too low');
  });
});
