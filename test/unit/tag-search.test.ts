import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tag } from '../../src-main/db/correction-repository.js';
import {
  knownTags,
  matchTags,
  namedTags,
  nothingFound,
  searchedTags,
  SYNONYMS,
} from '../../src-main/library/tag-search.js';
import { loadLabelSet } from '../../src-main/models/label-sets.js';
import { MODELS_DIR } from '../helpers.js';

const imagenet = loadLabelSet(MODELS_DIR, 'imagenet-1k');
const stored: Tag[] = [
  { kind: 'label', id: 'bird:Ara macao', name: 'Scarlet Macaw' },
  { kind: 'category', id: 'portrait', name: 'Portrait' },
  { kind: 'category', id: 'scene:black-and-white', name: 'Black & white' },
  { kind: 'category', id: 'dog', name: 'Dog' },
];
const own: Tag[] = [{ kind: 'label', id: 'user:rex', name: 'Rex' }];
const tags = knownTags(imagenet, stored, own);
const names = (found: Tag[]) => found.map((tag) => tag.name);

describe('tag search', () => {
  it('finds a tag by a word of its name, whatever the case and punctuation', () => {
    assert.deepEqual(names(searchedTags('beach', tags)), ['Beach & sea']);
    assert.deepEqual(names(searchedTags('BEACH AND SEA', tags)), ['Beach & sea']);
    assert.deepEqual(names(searchedTags('black white', tags)), ['Black & white']);
    assert.deepEqual(names(searchedTags('retriever', tags)).sort(), [
      'Chesapeake Bay retriever',
      'Curly-coated retriever',
      'Flat-coated retriever',
      'Golden retriever',
      'Labrador retriever',
    ]);
  });

  it('reads plurals as their singular', () => {
    assert.deepEqual(names(searchedTags('Dogs', tags)), ['Dog']);
    assert.deepEqual(names(searchedTags('beaches', tags)), ['Beach & sea']);
    assert.deepEqual(names(searchedTags('golden retrievers', tags)), ['Golden retriever']);
    assert.deepEqual(names(searchedTags('people', tags)), ['People']);
  });

  it('finds the category an everyday word means', () => {
    for (const word of ['person', 'persons', 'kid', 'kids', 'children', 'woman']) {
      assert.deepEqual(names(searchedTags(word, tags)), ['People'], word);
    }
    assert.deepEqual(names(searchedTags('selfie', tags)), ['Portrait']);
    assert.deepEqual(names(searchedTags('puppies', tags)), ['Dog']);
    assert.deepEqual(names(searchedTags('monochrome', tags)), ['Black & white']);
    const categoryIds = new Set([...imagenet.categories.map((c) => c.id), ...stored.map((t) => t.id)]);
    for (const id of Object.keys(SYNONYMS)) {
      assert.ok(categoryIds.has(id) || ['group', 'scene:sunset', 'scene:screenshot'].includes(id), id);
    }
  });

  it('prefers the exact tag to names that merely contain the word, and a prefix to nothing', () => {
    assert.deepEqual(names(searchedTags('dog', tags)), ['Dog'], 'not also "Hotdog" or "Eskimo dog"');
    assert.deepEqual(names(searchedTags('hot dog', tags)), ['Hotdog']);
    assert.deepEqual(names(searchedTags('golden retr', tags)), ['Golden retriever']);
    assert.deepEqual(searchedTags('og', tags), [], 'a mere substring is no search');
    assert.ok(names(matchTags('og', tags).map((match) => match.tag)).includes('Hotdog'), 'but a suggestion');
  });

  it('finds a tag by its id, a species by its scientific name, and own labels', () => {
    assert.deepEqual(names(searchedTags('n02099601', tags)), ['Golden retriever']);
    assert.deepEqual(names(searchedTags('ara macao', tags)), ['Scarlet Macaw']);
    assert.deepEqual(names(searchedTags('scarlet', tags)), ['Scarlet Macaw']);
    assert.deepEqual(names(searchedTags('rex', tags)), ['Rex']);
  });

  it('lists every tag once, own labels first, and stored tags beyond the label set', () => {
    assert.equal(tags[0]!.id, 'user:rex');
    assert.equal(tags.filter((tag) => tag.kind === 'category' && tag.id === 'dog').length, 1);
    assert.ok(tags.some((tag) => tag.id === 'portrait'));
    assert.equal(knownTags(null, [], own).length, 1, 'a library with no model still knows its own labels');
  });

  it('names tags exactly for an export, and matches nothing for an unknown word', () => {
    assert.deepEqual(names(namedTags('dogs', tags)), ['Dog']);
    assert.deepEqual(namedTags('retriever', tags), [], 'a word of several names names none of them');
    assert.deepEqual(searchedTags('xyzzy', tags), []);
    assert.deepEqual(matchTags('  ', tags), []);
  });

  it('tells an unknown tag from a known one without photos', () => {
    assert.equal(nothingFound('xyzzy ', [], 0.3), 'No tag matches "xyzzy".');
    assert.equal(
      nothingFound('beach', searchedTags('beach', tags), 0.5),
      '"Beach & sea" is known but no photo carries it at 50% or more.',
    );
    assert.equal(
      nothingFound('retriever', searchedTags('retriever', tags), 0.3),
      '"Flat-coated retriever", "Curly-coated retriever" and 3 more are known but no photo carries them at 30% or more.',
    );
  });
});
