import { DEFAULT_MIN_SCORE } from '../api/contract.js';
import type { FeatureRepository } from '../db/feature-repository.js';
import type { ModelRef } from '../db/photo-repository.js';
import type { FeatureIndex, Scored } from './feature-index.js';
import { learnableLabels, scoreLabel, suggestions, type LabelExamples } from './label-learner.js';

/** A photo suggested a learned label. */
export interface Suggestion extends Scored {
  labelId: string;
  labelName: string;
}

/** An own label (or a confirmed model label) Phototag has learned, with how many photos it learned it from. */
export interface LearnedLabel {
  id: string;
  name: string;
  examples: number;
  /** Photos it is suggested on now. */
  suggested: number;
}

export type SimilarityRequest =
  | { type: 'similar'; model: ModelRef; photoId: number; limit: number }
  | { type: 'duplicates'; model: ModelRef }
  | { type: 'learned'; model: ModelRef }
  | { type: 'suggestions'; model: ModelRef; labelId: string | null; exclude: number[]; limit: number }
  /** photoIds null: every photo suggested anything. */
  | { type: 'photoSuggestions'; model: ModelRef; photoIds: number[] | null };

export interface SimilarityResults {
  similar: Scored[];
  duplicates: number[][];
  learned: LearnedLabel[];
  suggestions: { left: number; suggestions: Suggestion[] };
  photoSuggestions: Record<number, Suggestion[]>;
}

interface Learned {
  label: LabelExamples;
  scores: Float32Array;
  /** Photos with a correction of the label, or that show it as a model's tag: never suggested it. */
  judged: Set<number>;
  /** Every photo suggested it, best first. */
  suggested: Scored[];
}

/** Trained labels by what they were trained on: retrained only when the corrections or the features change. */
const trained = new Map<string, Learned>();

function learnedLabels(index: FeatureIndex, indexKey: string, repo: FeatureRepository): Learned[] {
  const examples = repo.labelExamples();
  const tagged = new Map<number, Set<string>>();
  for (const example of examples) {
    if (example.kind === 'reject') continue;
    tagged.set(example.photoId, (tagged.get(example.photoId) ?? new Set()).add(example.labelId));
  }
  const kept = new Set<string>();
  const learned = [...learnableLabels(examples, index).values()].map((label) => {
    const otherTagged = new Set([...tagged].filter(([, labels]) => !labels.has(label.id)).map(([photo]) => photo));
    const key = JSON.stringify([indexKey, label, [...otherTagged].filter((id) => index.has(id))]);
    kept.add(key);
    let entry = trained.get(key);
    if (!entry) {
      const scores = scoreLabel(index, label, otherTagged);
      const judged = new Set([
        ...label.positives,
        ...label.rejected,
        ...repo.photosCarrying(label.id, DEFAULT_MIN_SCORE),
      ]);
      entry = { label, scores, judged, suggested: suggestions(index, scores, judged, index.size) };
      trained.set(key, entry);
    }
    return entry;
  });
  for (const key of trained.keys()) if (!kept.has(key)) trained.delete(key);
  return learned;
}

const asSuggestion = (learned: Learned, scored: Scored): Suggestion => ({
  ...scored,
  labelId: learned.label.id,
  labelName: learned.label.name,
});

/** Answers one request over the index of the library model's features (`indexKey` names its version). */
export function answer(
  request: SimilarityRequest,
  index: FeatureIndex,
  indexKey: string,
  repo: FeatureRepository,
): SimilarityResults[SimilarityRequest['type']] {
  switch (request.type) {
    case 'similar':
      return index.nearest(request.photoId, request.limit);
    case 'duplicates':
      return index.duplicateGroups();
    case 'learned':
      return learnedLabels(index, indexKey, repo).map(({ label, suggested }) => ({
        id: label.id,
        name: label.name,
        examples: label.positives.length,
        suggested: suggested.length,
      }));
    case 'suggestions': {
      const exclude = new Set(request.exclude);
      const all = learnedLabels(index, indexKey, repo)
        .filter((learned) => request.labelId === null || learned.label.id === request.labelId)
        .flatMap((learned) => learned.suggested.map((scored) => asSuggestion(learned, scored)))
        .filter((suggestion) => !exclude.has(suggestion.photoId))
        .sort((a, b) => b.score - a.score || a.photoId - b.photoId);
      return { left: all.length, suggestions: all.slice(0, request.limit) };
    }
    case 'photoSuggestions': {
      const learned = learnedLabels(index, indexKey, repo);
      const wanted = request.photoIds && new Set(request.photoIds);
      const byPhoto: Record<number, Suggestion[]> = {};
      for (const entry of learned) {
        for (const scored of entry.suggested) {
          if (!wanted || wanted.has(scored.photoId)) (byPhoto[scored.photoId] ??= []).push(asSuggestion(entry, scored));
        }
      }
      for (const list of Object.values(byPhoto)) list.sort((a, b) => b.score - a.score);
      return byPhoto;
    }
  }
}
