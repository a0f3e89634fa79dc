import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreBatch, MIN_CATEGORY_SCORE, TOP_LABELS } from '../../src-main/classifier/scoring.js';
import type { LabelSet } from '../../src-main/models/label-sets.js';

const labelSet: LabelSet = {
  id: 'toy',
  categories: [
    { id: 'dog', name: 'Dog' },
    { id: 'cat', name: 'Cat' },
    { id: 'food', name: 'Food' },
  ],
  labels: [
    { id: 'beagle', name: 'Beagle', categories: [0] },
    { id: 'pug', name: 'Pug', categories: [0] },
    { id: 'tabby', name: 'Tabby cat', categories: [1] },
    { id: 'hotdog', name: 'Hotdog', categories: [2] },
    { id: 'rock', name: 'Rock', categories: [] },
    { id: 'sock', name: 'Sock', categories: [] },
  ],
};

describe('scoreBatch', () => {
  it('applies softmax to logits and sums class probabilities into categories', () => {
    const logits = new Float32Array([2, 2, 0, -1, -5, -5]);
    const [result] = scoreBatch(logits, 1, { kind: 'logits', backgroundClass: false }, labelSet);
    const total = [...logits].reduce((sum, x) => sum + Math.exp(x), 0);
    assert.equal(result!.labels.length, TOP_LABELS);
    assert.deepEqual(
      result!.labels.slice(0, 2).map((label) => label.id),
      ['beagle', 'pug'],
    );
    assert.ok(Math.abs(result!.labels[0]!.score - Math.exp(2) / total) < 1e-6);
    const dog = result!.categories[0]!;
    assert.equal(dog.name, 'Dog');
    assert.ok(Math.abs(dog.score - (2 * Math.exp(2)) / total) < 1e-6, 'a dog of uncertain breed still reads Dog');
    assert.ok(result!.categories.every((category) => category.score >= MIN_CATEGORY_SCORE));
  });

  it('skips a leading background class and keeps probabilities as given', () => {
    const probabilities = new Float32Array([0.5, 0, 0, 0.1, 0.4, 0, 0, 0, 0.3, 0.2, 0, 0, 0, 0]);
    const results = scoreBatch(probabilities, 2, { kind: 'probabilities', backgroundClass: 'first' }, labelSet);
    assert.equal(results.length, 2);
    assert.equal(results[0]!.labels[0]!.id, 'hotdog');
    assert.equal(results[0]!.labels[0]!.score, probabilities[4]);
    assert.deepEqual(
      results[0]!.categories.map((c) => c.id),
      ['food', 'cat'],
    );
    assert.equal(results[1]!.labels[0]!.id, 'beagle');
    assert.ok(Math.abs(results[1]!.categories[0]!.score - 0.5) < 1e-6);
  });

  it('skips a trailing background class and keeps probabilities as given', () => {
    const probabilities = new Float32Array([0.05, 0.1, 0, 0.2, 0, 0.05, 0.6]);
    const [result] = scoreBatch(probabilities, 1, { kind: 'probabilities', backgroundClass: 'last' }, labelSet);
    assert.deepEqual(
      result!.labels.map((label) => [label.id, label.score]),
      [
        ['hotdog', probabilities[3]],
        ['pug', probabilities[1]],
        ['beagle', probabilities[0]],
        ['sock', probabilities[5]],
        ['tabby', probabilities[2]],
      ],
    );
    assert.ok(Math.abs(result!.categories[0]!.score - 0.2) < 1e-6, 'the background counts in no category');
  });

  it('refuses outputs that do not fit the label set', () => {
    assert.throws(
      () => scoreBatch(new Float32Array(7), 1, { kind: 'logits', backgroundClass: false }, labelSet),
      /gives 7 outputs per photo, but its label set "toy" has 6 labels/,
    );
    assert.throws(
      () => scoreBatch(new Float32Array(6), 1, { kind: 'logits', backgroundClass: 'last' }, labelSet),
      /gives 6 outputs per photo, but its label set "toy" has 6 labels plus background/,
    );
  });
});
