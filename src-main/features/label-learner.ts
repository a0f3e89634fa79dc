import type { LabelExample } from '../db/feature-repository.js';
import { topScores, type FeatureIndex, type Scored } from './feature-index.js';

/** A label is learned once the user has given it (or confirmed it) on this many photos with features. */
export const MIN_LABEL_EXAMPLES = 3;
/**
 * Photos whose calibrated score reaches this are suggested the label. A learned model's raw logits are squeezed
 * when it has few examples (taught photos read 0.58-0.89 themselves), so a fixed line on them decides nothing: each
 * label's logits are shifted by its own threshold (see calibrationShift), and 0.5 is that threshold for every label,
 * which also makes scores of different labels comparable in one review queue.
 */
export const SUGGESTION_MIN_SCORE = 0.5;
/** Photos the user has said nothing about join the negatives, this many at most, spread over the library. */
const UNLABELED_SAMPLE = 200;
const ITERATIONS = 60;
const LEARNING_RATE = 4;
const MOMENTUM = 0.9;
/** At most this many leave-out folds over the positives calibrate a label's threshold: each costs one more fit. */
const CALIBRATION_FOLDS = 5;
/**
 * A photo whose held-out logit stands this many median absolute deviations above the typical unlabelled photo's
 * stands out from the library: with few examples the taught photos' own held-out logits are noisy (a near-copy
 * among them reads as sure as a taught photo), so the line never sits higher than this.
 */
const OUTLIER_SPREADS = 4;
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

const logit = (model: LabelModel, unit: Float32Array) => {
  let z = model.bias;
  for (let k = 0; k < unit.length; k++) z += model.weights[k]! * unit[k]!;
  return z;
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * The logit a label's line sits at, from held-out scores only (a photo a model was fitted to says nothing of how
 * it scores a new one): each positive as scored by a model fitted without it (leave-one-out, in at most
 * CALIBRATION_FOLDS folds), each sampled photo by the model fitted on the other half. The line is midway between
 * the medians of the two, or OUTLIER_SPREADS above the typical sampled photo where that is lower: medians, because
 * the sample may hold a few photos that do carry the label and one odd positive should not move the line for all.
 * Told three of the fixtures' birds (a macaw, an owl, an eagle), the fourth (a chickadee) reads 0.68, a dragonfly
 * 0.49, every other photo 0.43 or less; with resized copies of the taught ones in the library the fourth reads 0.56
 * and every photo without a bird 0.40 or less.
 * Without a sample (every photo is an example) the line stays at 0.
 */
function calibrationShift(heldOutPositives: number[], heldOutSample: number[]): number {
  if (!heldOutPositives.length || !heldOutSample.length) return 0;
  const typical = median(heldOutSample);
  const spread = median(heldOutSample.map((z) => Math.abs(z - typical)));
  return Math.min((median(heldOutPositives) + typical) / 2, typical + OUTLIER_SPREADS * spread);
}

/**
 * Every photo's calibrated confidence that it carries the label, in index order, from logistic regressions on the
 * features. Negatives: the photos the user rejected the label on and those carrying the user's other labels (each
 * as sure as a positive), and an even sample of the photos nobody said anything about (half the negatives' weight
 * between them); positives and negatives weigh the same in all. Some of that sample may well carry the label, and a
 * model fitted to call them negative would say so of exactly them: so the sample is split in two, each half is
 * scored by the model trained on the other half, and every other photo by both models' mean logit. Each logit is
 * then shifted by the label's calibrated line (calibrationShift), so SUGGESTION_MIN_SCORE is that line. Deterministic:
 * the same corrections over the same features give the same scores.
 */
export function scoreLabel(index: FeatureIndex, label: LabelExamples, otherTagged: Set<number>): Float32Array {
  const said = new Set([...label.positives, ...label.rejected]);
  const negatives = [...label.rejected, ...[...otherTagged].filter((id) => !said.has(id))];
  const known = new Set([...said, ...negatives]);
  const rest = [...index.ids].filter((id) => !known.has(id));
  const step = Math.max(1, rest.length / UNLABELED_SAMPLE);
  const sample = Array.from({ length: Math.min(rest.length, UNLABELED_SAMPLE) }, (_, i) => rest[Math.floor(i * step)]!);
  const halves = [sample.filter((_, i) => i % 2 === 0), sample.filter((_, i) => i % 2 === 1)];
  const fit = (positives: number[], half: number[]) =>
    train(index, [
      ...positives.map((id) => ({ id, target: 1, weight: 1 / positives.length })),
      ...negatives.map((id) => ({ id, target: 0, weight: (half.length ? 0.5 : 1) / negatives.length })),
      ...half.map((id) => ({ id, target: 0, weight: (negatives.length ? 0.5 : 1) / half.length })),
    ]);
  const models = halves.map((half) => fit(label.positives, half));
  const folds = Math.min(label.positives.length, CALIBRATION_FOLDS);
  const heldOutPositives = Array.from({ length: folds }, (_, fold) => {
    const left = label.positives.filter((_, i) => i % folds === fold);
    const model = fit(
      label.positives.filter((_, i) => i % folds !== fold),
      halves[fold % 2]!,
    );
    return left.map((id) => logit(model, index.unit(id)));
  }).flat();
  const [first, second] = models as [LabelModel, LabelModel];
  const heldOutSample = halves.flatMap((half, h) => half.map((id) => logit(h === 0 ? second : first, index.unit(id))));
  const shift = calibrationShift(heldOutPositives, heldOutSample);
  // The mean of two logistic models' logits is one linear model: one pass over the library, not two.
  const mean = first.weights.map((weight, k) => (weight + second.weights[k]!) / 2);
  const scores = index.dotAll(mean).map((z) => sigmoid(z + (first.bias + second.bias) / 2 - shift));
  let s = 0;
  for (const half of halves) for (const id of half) scores[index.position(id)] = sigmoid(heldOutSample[s++]! - shift);
  return scores;
}

/** The photos to suggest the label on, best first: at least SUGGESTION_MIN_SCORE, none the user already judged. */
export function suggestions(index: FeatureIndex, scores: Float32Array, judged: Set<number>, limit: number): Scored[] {
  return topScores(scores, index.ids, limit, (i) => scores[i]! >= SUGGESTION_MIN_SCORE && !judged.has(index.ids[i]!));
}
