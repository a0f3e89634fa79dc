import sharp from 'sharp';
import type { Score } from '../api/contract.js';
import { Classifier, type ClassifierInfo, type ClassifierOptions } from '../classifier/classifier.js';
import { createSession } from '../classifier/execution-providers.js';
import type { Classification } from '../classifier/scoring.js';
import { FaceDetector, facePixels } from '../faces/face-detector.js';
import { perceptualHash } from '../features/feature-vector.js';
import { peopleFaces, peopleTags, undecidedFaces } from '../faces/people-rules.js';
import type { Face } from '../faces/yunet.js';
import { toModelInput, type DecodedPhoto, type RawPixels } from '../imaging/decode.js';
import type { FaceDetectorManifest, ModelManifest } from '../models/manifest.js';
import type { ModelEntry } from '../models/model-catalog.js';
import { sceneScores, type SceneExif } from '../scenes/scene-rules.js';
import { SCENES_TAGGER, type TaggerPlan, type TaggerRef } from './tagger-plan.js';

/** One decoded photo as the taggers take it: the pixels the pipeline decoded once, and the facts beside them. */
export interface PhotoPixels extends RawPixels {
  /** The full image's size, upright. */
  originalWidth: number;
  originalHeight: number;
  format: string;
  exif: SceneExif;
  /**
   * What to run. A new or changed photo, or one tagged with another model, runs everything; a photo that only
   * lacks some secondary taggers runs just those, and `categories` are the library model's stored ones, which
   * decide whether a specialist runs.
   */
  run: { primary: true } | { primary: false; taggers: string[]; categories: Score[] };
}

/** The taggers' view of a decoded photo: a copy of its pixels of its own (it moves to the worker thread). */
export function photoPixels(decoded: DecodedPhoto, exif: SceneExif, run: PhotoPixels['run']): PhotoPixels {
  return {
    data: new Uint8Array(decoded.data),
    width: decoded.width,
    height: decoded.height,
    originalWidth: decoded.originalWidth,
    originalHeight: decoded.originalHeight,
    format: decoded.format,
    exif,
    run,
  };
}

/** What one secondary tagger found on one photo, stored under its own id and version. */
export interface TaggerResult {
  tagger: TaggerRef;
  labels: Score[];
  categories: Score[];
  /** The people's faces, for the face detector. */
  faces?: Face[];
}

export interface PhotoTags {
  /** The library model's result; absent when only secondary taggers ran. */
  classification?: Classification;
  /**
   * The picture's perceptual hash (see perceptualHash), whichever taggers ran: a photo whose model's results are
   * kept has its hash made again too (how a library that held difference hashes gets them, migration 15).
   */
  imageHash: string;
  results: TaggerResult[];
}

/** Species below this are guesses, not names: dragonfly.bmp's best species reads 0.20, a bird's 0.4 to 0.95. */
export const MIN_SPECIES_SCORE = 0.15;
/** At most this many species are kept per photo. */
const SPECIES_KEPT = 3;
/** Scene scores below this are not stored: the rules answer a confidence for every photo (a flash-lit hot dog reads Night 0.26). */
const MIN_SCENE_SCORE = 0.5;
/**
 * The scene rules read statistics of the whole frame, and were set on photos decoded at this shorter side: a larger
 * decode (for the face detector) is shrunk first, which keeps their thresholds and costs a fifth of reading it all.
 */
const SCENE_SHORTER_SIDE = 256;

/** The pixels with their shorter side at most `side`, as the decoder would shrink them (sharp's default kernel). */
async function shrunk(photo: RawPixels, side: number): Promise<RawPixels> {
  if (Math.min(photo.width, photo.height) <= side) return photo;
  const { data, info } = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
    .resize({ width: side, height: side, fit: 'outside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** At most this many undecided faces of a photo are classified one by one (a crowd would cost a run each). */
const CLASSIFIED_FACES = 6;

const sameInput = (a: ModelManifest['input'], b: ModelManifest['input']) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every tagger of a library over the same decoded pixels: the library's model, the specialists it calls on (bird
 * species on a bird), the face detector and the People rules, and the scene rules. Inference blocks the calling
 * thread: the pipeline runs this in the tagger worker.
 */
export class PhotoTagger {
  private constructor(
    private readonly primary: Classifier,
    private readonly primaryManifest: ModelManifest,
    private readonly specialists: { entry: ModelEntry; classifier: Classifier }[],
    private readonly faces: { manifest: FaceDetectorManifest; detector: FaceDetector } | undefined,
    private readonly scenes: boolean,
  ) {}

  static async load(plan: TaggerPlan, options: ClassifierOptions): Promise<PhotoTagger> {
    const primary = await Classifier.load(plan.primary, options);
    const specialists = await Promise.all(
      plan.specialists.map(async (entry) => ({ entry, classifier: await Classifier.load(entry, options) })),
    );
    const faceDetector = plan.faceDetector;
    const faces = faceDetector && {
      manifest: faceDetector.manifest,
      detector: new FaceDetector(
        (await createSession(faceDetector.modelPath, { threads: options.threads ?? 1, providers: ['cpu'] })).session,
        { size: faceDetector.manifest.input.size, scoreThreshold: faceDetector.manifest.minScore },
      ),
    };
    return new PhotoTagger(primary, plan.primary.manifest, specialists, faces, plan.scenes);
  }

  get info(): ClassifierInfo {
    return this.primary.info;
  }

  /** The library model alone, on inputs already made (tests, the benchmark's inference figure). */
  classify(inputs: Float32Array[]): Promise<Classification[]> {
    return this.primary.classify(inputs);
  }

  /** Every tagger a photo asks for, in order; the library model runs on the whole batch at once. */
  async tag(photos: PhotoPixels[]): Promise<PhotoTags[]> {
    const full = photos.filter((photo) => photo.run.primary);
    const inputs = await Promise.all(full.map((photo) => toModelInput(photo, this.primaryManifest.input)));
    const classified = await this.primary.classify(inputs);
    const results: PhotoTags[] = [];
    for (const photo of photos) {
      const index = full.indexOf(photo);
      const classification = index >= 0 ? classified[index] : undefined;
      const categories = classification?.categories ?? (photo.run.primary ? [] : photo.run.categories);
      const wanted = (tagger: TaggerRef) => photo.run.primary || photo.run.taggers.includes(tagger.id);
      results.push({
        classification,
        imageHash: await perceptualHash(photo),
        results: await this.secondary(photo, categories, wanted, index >= 0 ? inputs[index] : undefined),
      });
    }
    return results;
  }

  private async secondary(
    photo: PhotoPixels,
    categories: Score[],
    wanted: (tagger: TaggerRef) => boolean,
    primaryInput: Float32Array | undefined,
  ): Promise<TaggerResult[]> {
    const results: TaggerResult[] = [];
    for (const { entry, classifier } of this.specialists) {
      const tagger = refOf(entry);
      if (!wanted(tagger)) continue;
      results.push({
        tagger,
        labels: await this.species(entry, classifier, photo, categories, primaryInput),
        categories: [],
      });
    }
    if (this.faces && wanted(refOf(this.faces))) results.push(await this.people(photo, categories));
    if (this.scenes && wanted(SCENES_TAGGER)) {
      const pixels = await shrunk(photo, SCENE_SHORTER_SIDE);
      const scenes = sceneScores({ ...photo, ...pixels }, photo.exif).filter((scene) => scene.score >= MIN_SCENE_SCORE);
      results.push({ tagger: SCENES_TAGGER, labels: [], categories: scenes });
    }
    return results;
  }

  /** A specialist's best species, when the library model found the photo to be of its category. */
  private async species(
    entry: ModelEntry,
    classifier: Classifier,
    photo: PhotoPixels,
    categories: Score[],
    primaryInput: Float32Array | undefined,
  ): Promise<Score[]> {
    const when = entry.manifest.runsWhen;
    if (when && (categories.find((category) => category.id === when.category)?.score ?? 0) < when.minScore) return [];
    const input =
      primaryInput && sameInput(entry.manifest.input, this.primaryManifest.input)
        ? primaryInput
        : await toModelInput(photo, entry.manifest.input);
    const [result] = await classifier.classify([input]);
    return result!.labels.filter((label) => label.score >= MIN_SPECIES_SCORE).slice(0, SPECIES_KEPT);
  }

  /**
   * The faces, and People, Portrait and Group by the People rules: where a face's verdict hangs on what it is, the
   * library model looks at a crop around it too, which tells a person holding a cat from the cat.
   */
  private async people(photo: PhotoPixels, categories: Score[]): Promise<TaggerResult> {
    const pixels = Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength);
    const faces = await this.faces!.detector.detect(pixels, photo.width, photo.height);
    const aspect = photo.originalWidth / photo.originalHeight;
    const undecided = new Set(undecidedFaces({ faces, aspect }).slice(0, CLASSIFIED_FACES));
    const faceCategories = await Promise.all(
      faces.map(async (face, index) => {
        if (!undecided.has(index)) return undefined;
        const crop = facePixels(pixels, photo.width, photo.height, face);
        return (await this.primary.classify([await toModelInput(crop, this.primaryManifest.input)]))[0]!.categories;
      }),
    );
    const input = { faces, aspect, categories, faceCategories };
    return {
      tagger: refOf(this.faces!),
      labels: [],
      // The face count a tag shows ("People · 3") is the number of faces stored with it.
      categories: peopleTags(input).map(({ id, name, score }) => ({ id, name, score })),
      faces: peopleFaces(input),
    };
  }

  async dispose(): Promise<void> {
    await this.primary.dispose();
    for (const { classifier } of this.specialists) await classifier.dispose();
    await this.faces?.detector.release();
  }
}

const refOf = (model: { manifest: { id: string; version: string } }): TaggerRef => ({
  id: model.manifest.id,
  version: model.manifest.version,
});
