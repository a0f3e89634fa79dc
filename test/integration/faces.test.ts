import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { Classifier } from '../../src-main/classifier/classifier.js';
import { createSession } from '../../src-main/classifier/execution-providers.js';
import { FaceDetector, facePixels, type RgbPixels } from '../../src-main/faces/face-detector.js';
import {
  PEOPLE_RULES,
  peopleTags,
  undecidedFaces,
  withFaceCount,
  type PeopleTag,
} from '../../src-main/faces/people-rules.js';
import { YUNET, type Face } from '../../src-main/faces/yunet.js';
import { decodePhoto, toModelInput, type DecodedPhoto } from '../../src-main/imaging/decode.js';
import { findModel, listModels } from '../../src-main/models/model-catalog.js';
import { MODELS_DIR, photo } from '../helpers.js';

const entry = findModel(
  listModels({ embedded: MODELS_DIR, user: join(MODELS_DIR, 'no-user-models') }),
  'mobilenet-v2-imagenet',
);

/** Fixture photos without a person: animals, a flower, food. */
const NO_PEOPLE = [
  'cat.bmp',
  'cat_720p.jpg',
  'cat_1080p.jpg',
  'dog.jpg',
  'pets.jpg',
  'owl.jpg',
  'parrot.jpg',
  'eagle.jpg',
  'bird.bmp',
  'dragonfly.bmp',
  'sunflower.bmp',
  'hot_dog.jpg',
];

describe('YuNet and the People rules on real photos', () => {
  let detector: FaceDetector;
  let classifier: Classifier;
  before(async () => {
    const { session } = await createSession(join(MODELS_DIR, YUNET.modelFile), { threads: 1, providers: ['cpu'] });
    detector = new FaceDetector(session);
    classifier = await Classifier.load(entry, { modelsDir: MODELS_DIR, threads: 1 });
  });
  after(async () => {
    await detector.release();
    await classifier.dispose();
  });

  const facesIn = (decoded: RgbPixels) => detector.detect(decoded.data, decoded.width, decoded.height);
  const decode = (name: string | Buffer) => decodePhoto(typeof name === 'string' ? photo(name) : name, YUNET.inputSize);

  async function categoriesOf(decoded: DecodedPhoto, pixels: RgbPixels = decoded) {
    const [result] = await classifier.classify([await toModelInput({ ...decoded, ...pixels }, entry.manifest.input)]);
    return result!.categories;
  }

  /** Faces and tags the way the pipeline gets them: the photo's categories, and a crop's for undecided faces. */
  async function tag(decoded: DecodedPhoto): Promise<{ faces: Face[]; tags: PeopleTag[] }> {
    const faces = await facesIn(decoded);
    const aspect = decoded.width / decoded.height;
    const faceCategories = new Array(faces.length);
    for (const index of undecidedFaces({ faces, aspect })) {
      faceCategories[index] = await categoriesOf(
        decoded,
        facePixels(decoded.data, decoded.width, decoded.height, faces[index]!),
      );
    }
    const tags = peopleTags({ faces, aspect, categories: await categoriesOf(decoded), faceCategories });
    return { faces, tags };
  }

  /** `parts` side by side on a grey background: a group photo made of portraits, as a PNG. */
  async function sideBySide(parts: DecodedPhoto[], height = 400): Promise<Buffer> {
    const scaled = await Promise.all(
      parts.map(async (part) =>
        sharp(part.data, { raw: { width: part.width, height: part.height, channels: 3 } })
          .resize({ height })
          .png()
          .toBuffer({ resolveWithObject: true }),
      ),
    );
    const width = scaled.reduce((sum, part) => sum + part.info.width + 20, 20);
    let left = 20;
    const composite = scaled.map(({ data, info }) => {
      const at = left;
      left += info.width + 20;
      return { input: data, left: at, top: 40 };
    });
    return sharp({ create: { width, height: height + 80, channels: 3, background: '#808080' } })
      .composite(composite)
      .png()
      .toBuffer();
  }

  it('tags the faces in face.jpg and grace_hopper.bmp as People, confidently', async () => {
    const hopper = await tag(await decode('grace_hopper.bmp'));
    assert.deepEqual(hopper.tags.map(withFaceCount), ['People · 1', 'Portrait · 1']);
    assert.ok(hopper.tags[0]!.score >= 0.5, JSON.stringify(hopper.tags));
    const four = await tag(await decode('face.jpg'));
    assert.deepEqual(four.tags.map(withFaceCount), ['People · 4', 'Group · 4'], 'two men and two people behind them');
    assert.ok(four.tags[0]!.score >= 0.5, JSON.stringify(four.tags));
  });

  it('gives no People to the photos of animals, a flower and food', async () => {
    for (const name of NO_PEOPLE) {
      const { faces, tags } = await tag(await decode(name));
      assert.deepEqual(tags, [], `${name}: ${JSON.stringify(faces)}`);
    }
  });

  it("gives no People to a cat's face filling the frame, though YuNet scores it like a face", async () => {
    const cat = await decode('cat.bmp');
    const closeUp = await sharp(cat.data, { raw: { width: cat.width, height: cat.height, channels: 3 } })
      .extract({ left: 204, top: 136, width: 136, height: 136 })
      .png()
      .toBuffer();
    const { faces, tags } = await tag(await decode(closeUp));
    assert.ok(faces[0] && faces[0].score >= 0.7, `YuNet sees a face: ${JSON.stringify(faces)}`);
    assert.deepEqual(tags, []);
  });

  it('tags three portraits side by side as a Group of three, and no Portrait', async () => {
    const hopper = await decode('grace_hopper.bmp');
    const { tags } = await tag(await decode(await sideBySide([hopper, hopper, hopper])));
    assert.deepEqual(tags.map(withFaceCount), ['People · 3', 'Group · 3']);
  });

  it('counts the people beside a cat: the classifier looks at each face, not only at the cat', async () => {
    const [people, cat] = await Promise.all([decode('face.jpg'), decode('cat_720p.jpg')]);
    const height = Math.round(cat.height * 0.35);
    const pasted = await sharp(people.data, { raw: { width: people.width, height: people.height, channels: 3 } })
      .resize({ height })
      .png()
      .toBuffer();
    const both = await sharp(cat.data, { raw: { width: cat.width, height: cat.height, channels: 3 } })
      .composite([{ input: pasted, left: 0, top: cat.height - height }])
      .png()
      .toBuffer();
    const decoded = await decode(both);
    const categories = await categoriesOf(decoded);
    assert.ok(
      categories.some((c) => c.id === 'cat' && c.score >= 0.6),
      `the photo reads Cat: ${JSON.stringify(categories)}`,
    );
    const { faces, tags } = await tag(decoded);
    assert.ok(
      faces.some((face) => face.score < PEOPLE_RULES.MIN_SCORE_WITH_ANIMAL),
      `some faces score below what a cat photo asks of them: ${faces.map((face) => face.score).join(', ')}`,
    );
    assert.deepEqual(tags.map(withFaceCount), ['People · 4', 'Group · 4']);
  });

  it('places faces in fractions of the photo, the same whatever size it was decoded at', async () => {
    const [small] = await facesIn(await decodePhoto(photo('grace_hopper.bmp'), 200));
    const [full] = await facesIn(await decodePhoto(photo('grace_hopper.bmp'), 600));
    const { box, landmarks } = full!;
    assert.ok(box.x > 0.25 && box.x + box.w < 0.75 && box.y > 0.1 && box.y + box.h < 0.65, JSON.stringify(box));
    assert.ok(landmarks[0].x < landmarks[1].x, "the subject's right eye is on the photo's left");
    for (const key of ['x', 'y', 'w', 'h'] as const) {
      assert.ok(Math.abs(small!.box[key] - box[key]) < 0.02, `${key}: ${small!.box[key]} vs ${box[key]}`);
    }
  });

  it('finds the face in a photo stored sideways with an EXIF orientation', async () => {
    const hopper = await decode('grace_hopper.bmp');
    const sideways = await sharp(hopper.data, { raw: { width: hopper.width, height: hopper.height, channels: 3 } })
      .rotate(270)
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const [upright] = await facesIn(hopper);
    const [turned] = await facesIn(await decode(sideways));
    assert.ok(turned, 'a face');
    for (const key of ['x', 'y', 'w', 'h'] as const) {
      assert.ok(
        Math.abs(turned.box[key] - upright!.box[key]) < 0.02,
        `${key}: ${turned.box[key]} vs ${upright!.box[key]}`,
      );
    }
  });
});
