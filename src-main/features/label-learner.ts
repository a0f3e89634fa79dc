import type { LabelExample } from '../db/feature-repository.js';
import { topScores, type FeatureIndex, type Scored } from './feature-index.js';

/** A label is learned once the user has given it (or confirmed it) on this many photos with features. */
export const MIN_LABEL_EXAMPLES = 3;
/**
 * Photos whose learned model scores a label at least this are suggested it. The negatives weigh as much as the
 * positives, so 0.5 is a photo as like the label's photos as like the rest. Told three of the fixtures' four birds
 * (a macaw, an owl, an eagle), the fourth (a chickadee) read 0.52, the nearest photo without a bird (a beach under
 * a wide sky) 0.45, every other one 0.40 or less.
 */
export const SUGGESTION_MIN_SCORE = 0.5;
/** Photos the user has said nothing about join the negatives, this many at most, spread over the library. */
const UNLABELED_SAMPLE = 200;
const ITERATIONS = 60;
const LEARNING_RATE = 4;
const MOMENTUM = 0.9;
/** L2 penalty: a few examples are separable in 1280 dimensions, and the weights must not grow without bound. */
const L2 = 0.01;

/** What the user said about one label: the photos carrying it, those it was rejected on. */
export interface LabelExamples {
  id: string;
  name: string;
  positives: number[];
  rejected: number[];
}

export interface LabelModel {
  weights: Float32Array;
  bias: number;
}

/** The labels with at least MIN_LABEL_EXAMPLES photos that have features, by label id. */
export function learnableLabels(examples: LabelExample[], index: FeatureIndex): Map<string, LabelExamples> {
  const labels = new Map<string, LabelExamples>();
  for (const example of examples) {
    if (!index.has(example.photoId)) continue;
    let label = labels.get(example.labelId);
    if (!label) labels.set(example.labelId, (label = { id: example.labelId, name: '', positives: [], rejected: [] }));
    if (example.kind === 'reject') label.rejected.push(example.photoId);
    else {
      label.positives.push(example.photoId);
      label.name = example.labelName;
    }
  }
  for (const [id, label] of labels) if (label.positives.length < MIN_LABEL_EXAMPLES) labels.delete(id);
  return labels;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

interface Sample {
  id: number;
  target: number;
  weight: number;
}

/** A logistic regression on the photos' unit feature vectors, centred on the library's mean, by gradient descent. */
function train(index: FeatureIndex, samples: Sample[]): LabelModel {
  const mean = index.meanUnit();
  const d = index.dimensions;
  const rows = samples.map(({ id }) => index.unit(id).map((value, k) => value - mean[k]!));
  const weights = new Float32Array(d);
  const velocity = new Float32Array(d);
  const gradient = new Float32Array(d);
  let bias = 0;
  let biasVelocity = 0;
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    gradient.fill(0);
    let biasGradient = 0;
    samples.forEach((sample, s) => {
      const row = rows[s]!;
      let z = bias;
      for (let k = 0; k < d; k++) z += weights[k]! * row[k]!;
      const error = (sigmoid(z) - sample.target) * sample.weight;
      biasGradient += error;
      for (let k = 0; k < d; k++) gradient[k]! += error * row[k]!;
    });
    for (let k = 0; k < d; k++) {
      velocity[k] = MOMENTUM * velocity[k]! - LEARNING_RATE * (gradient[k]! + L2 * weights[k]!);
      weights[k]! += velocity[k]!;
    }
    biasVelocity = MOMENTUM * biasVelocity - LEARNING_RATE * biasGradient;
    bias += biasVelocity;
  }
  // Scored on uncentred unit vectors: w · (x - mean) + b = w · x + (b - w · mean).
  let shift = 0;
  for (let k = 0; k < d; k++) shift += weights[k]! * mean[k]!;
  return { weights, bias: bias - shift };
}

/**
 * Every photo's confidence that it carries the label, in index order, from logistic regressions on the features.
 * Negatives: the photos the user rejected the label on and those carrying the user's other labels (each as sure as
 * a positive), and an even sample of the photos nobody said anything about (half the negatives' weight between
 * them), each side weighing the same in all. Some of that sample may well carry the label, and a model fitted to
 * call them negative would say so of exactly them: so the sample is split in two, each half is scored by the model
 * trained on the other half, and every other photo by both models' mean logit. Deterministic: the same corrections over
 * the same features give the same scores.
 */
export function scoreLabel(index: FeatureIndex, label: LabelExamples, otherTagged: Set<number>): Float32Array {
  const said = new Set([...label.positives, ...label.rejected]);
  const negatives = [...label.rejected, ...[...otherTagged].filter((id) => !said.has(id))];
  const known = new Set([...said, ...negatives]);
  const rest = [...index.ids].filter((id) => !known.has(id));
  const step = Math.max(1, rest.length / UNLABELED_SAMPLE);
  const sample = Array.from({ length: Math.min(rest.length, UNLABELED_SAMPLE) }, (_, i) => rest[Math.floor(i * step)]!);
  const halves = [sample.filter((_, i) => i % 2 === 0), sample.filter((_, i) => i % 2 === 1)];
  const models = halves.map((half) =>
    train(index, [
      ...label.positives.map((id) => ({ id, target: 1, weight: 1 / label.positives.length })),
      ...negatives.map((id) => ({ id, target: 0, weight: (half.length ? 0.5 : 1) / negatives.length })),
      ...half.map((id) => ({ id, target: 0, weight: (negatives.length ? 0.5 : 1) / half.length })),
    ]),
  );
  // The mean of two logistic models' logits is one linear model: one pass over the library, not two.
  const [first, second] = models as [LabelModel, LabelModel];
  const mean = first.weights.map((weight, k) => (weight + second.weights[k]!) / 2);
  const scores = index.dotAll(mean).map((z) => sigmoid(z + (first.bias + second.bias) / 2));
  const logit = (model: LabelModel, id: number) => {
    const unit = index.unit(id);
    let z = model.bias;
    for (let k = 0; k < unit.length; k++) z += model.weights[k]! * unit[k]!;
    return z;
  };
  halves.forEach((half, h) => {
    const other = h === 0 ? second : first;
    for (const id of half) scores[index.position(id)] = sigmoid(logit(other, id));
  });
  return scores;
}

/** The photos to suggest the label on, best first: at least SUGGESTION_MIN_SCORE, none the user already judged. */
export function suggestions(index: FeatureIndex, scores: Float32Array, judged: Set<number>, limit: number): Scored[] {
  return topScores(scores, index.ids, limit, (i) => scores[i]! >= SUGGESTION_MIN_SCORE && !judged.has(index.ids[i]!));
}
