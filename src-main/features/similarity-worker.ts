/**
 * Worker-thread entry: holds every photo's features in memory and answers what needs a pass over all of them
 * (similar photos, near-duplicates, the own labels it learns and what they suggest), so the thread that answers
 * the UI never scans. It reads the library through a connection of its own that only reads. Spoken to only by
 * SimilarityIndex.
 */
import { workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.js';
import { FeatureRepository } from '../db/feature-repository.js';
import type { ModelRef } from '../db/photo-repository.js';
import { FeatureIndex } from './feature-index.js';
import { answer, type SimilarityRequest } from './similarity-answers.js';
import { answerRequests } from '../worker-client.js';

const { dbPath, nativeBinding } = workerData as { dbPath: string; nativeBinding?: string };
const repo = new FeatureRepository(openDatabase(dbPath, { readonly: true, nativeBinding }));

let loaded: { key: string; index: FeatureIndex } | undefined;

/** The index of `model`'s vectors, loaded again only when they changed since. */
function indexOf(model: ModelRef): FeatureIndex {
  const key = `${model.id}@${model.version}:${repo.signature(model)}`;
  if (loaded?.key !== key) loaded = { key, index: new FeatureIndex(repo.vectors(model)) };
  return loaded.index;
}

answerRequests<SimilarityRequest>((request) => {
  const index = indexOf(request.model);
  return answer(request, index, loaded!.key, repo);
});
