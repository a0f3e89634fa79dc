import { decodePhoto, PhotoError, shorterSideFor, toModelInput } from '../imaging/decode.js';
import type { ModelManifest } from '../models/manifest.js';
import type { ImageClassifier } from './classifier.js';
import type { Classification } from './scoring.js';

export type PhotoResult = { ok: true; result: Classification } | { ok: false; error: string };

/**
 * Photos in (paths or bytes), one result per photo out: a photo that cannot be read gets its reason, and the
 * others are still decoded and classified, in batches.
 */
export async function classifyPhotos(
  classifier: ImageClassifier,
  manifest: ModelManifest,
  photos: (string | Buffer)[],
): Promise<PhotoResult[]> {
  const results: PhotoResult[] = new Array(photos.length);
  const ready: { index: number; input: Float32Array }[] = [];
  for (const [index, photo] of photos.entries()) {
    try {
      const decoded = await decodePhoto(photo, shorterSideFor(manifest.input));
      ready.push({ index, input: await toModelInput(decoded, manifest.input) });
    } catch (error) {
      if (!(error instanceof PhotoError)) throw error;
      results[index] = { ok: false, error: error.message };
    }
  }
  const classified = await classifier.classify(ready.map((item) => item.input));
  ready.forEach((item, i) => (results[item.index] = { ok: true, result: classified[i]! }));
  return results;
}
