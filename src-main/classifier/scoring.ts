import type { ModelManifest } from '../models/manifest.js';
import type { LabelSet } from '../models/label-sets.js';

export interface Score {
  id: string;
  name: string;
  score: number;
}

export interface Classification {
  /** The most probable labels, best first (top 5). */
  labels: Score[];
  /** Everyday categories ("Dog") scored by the summed probability of their classes, best first. */
  categories: Score[];
  /** The pooled feature vector, when the model exposes one. */
  features?: Float32Array;
}

export const TOP_LABELS = 5;
/** Categories below this share of the probability are noise, not tags. */
export const MIN_CATEGORY_SCORE = 0.01;

function softmax(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const value of row) max = Math.max(max, value);
  const out = new Float32Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += out[i] = Math.exp(row[i]! - max);
  for (let i = 0; i < row.length; i++) out[i]! /= sum;
  return out;
}

/**
 * Turns one batch of raw model outputs into labels and category scores. A "background" output, first or last, is
 * not a label: it is skipped, and the other probabilities are left as the model gave them.
 */
export function scoreBatch(
  output: Float32Array,
  batchSize: number,
  spec: ModelManifest['output'],
  labelSet: LabelSet,
): Omit<Classification, 'features'>[] {
  const width = output.length / batchSize;
  const count = labelSet.labels.length;
  const start = spec.backgroundClass === 'first' ? 1 : 0;
  if (width !== count + (spec.backgroundClass ? 1 : 0)) {
    throw new Error(
      `The model gives ${width} outputs per photo, but its label set "${labelSet.id}" has ` +
        `${count} labels${spec.backgroundClass ? ' plus background' : ''}.`,
    );
  }
  const results: Omit<Classification, 'features'>[] = [];
  for (let n = 0; n < batchSize; n++) {
    const raw = output.subarray(n * width, (n + 1) * width);
    const probabilities = (spec.kind === 'logits' ? softmax(raw) : raw).subarray(start, start + count);
    const categoryScores = new Float64Array(labelSet.categories.length);
    labelSet.labels.forEach((label, i) => {
      for (const category of label.categories) categoryScores[category]! += probabilities[i]!;
    });
    const ranked = [...probabilities.keys()].sort((a, b) => probabilities[b]! - probabilities[a]!);
    results.push({
      labels: ranked.slice(0, TOP_LABELS).map((i) => {
        const label = labelSet.labels[i]!;
        return { id: label.id, name: label.name, score: probabilities[i]! };
      }),
      categories: labelSet.categories
        .map((category, i) => ({ id: category.id, name: category.name, score: Math.min(1, categoryScores[i]!) }))
        .filter((category) => category.score >= MIN_CATEGORY_SCORE)
        .sort((a, b) => b.score - a.score),
    });
  }
  return results;
}
