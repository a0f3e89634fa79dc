import { scientificName } from '../api/contract.js';
import type { Tag } from '../db/correction-repository.js';
import type { LabelSet } from '../models/label-sets.js';

/**
 * What people type when they look for a tag, and the tags they mean: the one matcher behind `phototag search`, the
 * app's tag search, the correction autocomplete and an export's `--classes`.
 *
 * A query matches a tag's name (or its id, or a species' scientific name) word by word, whatever the case, accents,
 * punctuation ("Beach & sea") or plural ("Dogs", "beaches", "people"); everyday words find the tag whose name says
 * it otherwise (SYNONYMS).
 */

/** How well a tag answers a query, best first. */
export type MatchQuality = 'exact' | 'words' | 'prefix' | 'contains';
export const MATCH_QUALITIES: readonly MatchQuality[] = ['exact', 'words', 'prefix', 'contains'];

/**
 * Everyday words (lower case, singular) for categories named otherwise, by category id: each word finds its category
 * as if it were its name. A word whose category the library does not know (no photo has a Portrait yet) finds nothing.
 */
export const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  people: ['person', 'human', 'kid', 'child', 'man', 'woman', 'boy', 'girl', 'baby', 'toddler', 'family', 'friend'],
  portrait: ['selfie', 'headshot'],
  group: ['crowd'],
  dog: ['puppy', 'pup', 'doggy'],
  cat: ['kitten', 'kitty'],
  'beach-sea': ['ocean', 'seaside', 'coast', 'shore', 'seashore'],
  aircraft: ['airplane', 'aeroplane', 'plane'],
  boat: ['ship'],
  food: ['meal', 'dish'],
  'scene:sunset': ['sunrise', 'dusk'],
  'scene:black-and-white': ['monochrome', 'grayscale', 'greyscale', 'bw'],
  'scene:screenshot': ['screengrab', 'screen capture'],
};

/** The category id each synonym stands for, by the synonym's words as wordsOf spells them. */
const SYNONYM_OF = new Map(
  Object.entries(SYNONYMS).flatMap(([id, words]) => words.map((word): [string, string] => [word, id])),
);

/** Words that say nothing about a tag: "beach and sea" is "Beach & sea". */
const STOP_WORDS = new Set(['a', 'an', 'and', 'of', 'the', 'with']);

/** Plurals that no rule spells. */
const IRREGULAR: Readonly<Record<string, string>> = {
  people: 'person',
  men: 'man',
  women: 'woman',
  children: 'child',
  mice: 'mouse',
  geese: 'goose',
  teeth: 'tooth',
  feet: 'foot',
  leaves: 'leaf',
  knives: 'knife',
  wolves: 'wolf',
};

/**
 * The singular of an English word, near enough: both sides of a comparison go through it, so a stem that is no word
 * ("species" to "specie") still meets itself.
 */
function singular(word: string): string {
  const irregular = IRREGULAR[word];
  if (irregular) return irregular;
  if (word.length <= 3 || /(ss|us|is)$/.test(word)) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(ch|sh|x|z|ss)es$/.test(word)) return word.slice(0, -2);
  return word.endsWith('s') ? word.slice(0, -1) : word;
}

/** A text as words to compare: no accents, lower case, split at anything but letters and digits, singular. */
function wordsOf(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word && !STOP_WORDS.has(word))
    .map(singular);
}

/** A name as wordsOf spells it, and those words run together ("hot dog" is "hotdog"). */
interface Name {
  words: readonly string[];
  whole: string;
}

/** Each tag's names, made once: a search box asks at every keystroke, over a few thousand tags. */
const namesByTag = new Map<string, readonly Name[]>();

/** The names a tag answers to: its own and, for a species ("bird:Ara macao"), the scientific name in its id. */
function namesOf(tag: Tag): readonly Name[] {
  const key = `${tag.id}\n${tag.name}`;
  let names = namesByTag.get(key);
  if (!names) {
    const scientific = scientificName(tag.id);
    names = [tag.name, ...(scientific ? [scientific] : [])].map((text) => {
      const words = wordsOf(text);
      return { words, whole: words.join('') };
    });
    namesByTag.set(key, names);
  }
  return names;
}

function nameQuality(query: readonly string[], compact: string, { words, whole }: Name): MatchQuality | undefined {
  if (whole === compact) return 'exact';
  if (query.every((word) => words.includes(word))) return 'words';
  if (whole.startsWith(compact) || query.every((word) => words.some((part) => part.startsWith(word)))) return 'prefix';
  return whole.includes(compact) ? 'contains' : undefined;
}

const better = (a: MatchQuality | undefined, b: MatchQuality | undefined) =>
  a === undefined || (b !== undefined && MATCH_QUALITIES.indexOf(b) < MATCH_QUALITIES.indexOf(a)) ? b : a;

interface Query {
  words: readonly string[];
  compact: string;
  raw: string;
  /** The category id the query is a synonym of. */
  synonym: string | undefined;
}

function quality(query: Query, tag: Tag): MatchQuality | undefined {
  if (tag.id.toLowerCase() === query.raw || (tag.kind === 'category' && tag.id === query.synonym)) return 'exact';
  return namesOf(tag).reduce<MatchQuality | undefined>(
    (best, name) => better(best, nameQuality(query.words, query.compact, name)),
    undefined,
  );
}

export interface TagMatch<T extends Tag> {
  tag: T;
  quality: MatchQuality;
}

/** Every tag the query matches, best first; tags of equal quality keep their order in `tags`. */
export function matchTags<T extends Tag>(query: string, tags: readonly T[]): TagMatch<T>[] {
  const words = wordsOf(query);
  if (words.length === 0) return [];
  const wanted: Query = {
    words,
    compact: words.join(''),
    raw: query.trim().toLowerCase(),
    synonym: SYNONYM_OF.get(words.join(' ')),
  };
  return tags
    .map((tag) => ({ tag, quality: quality(wanted, tag) }))
    .filter((match): match is TagMatch<T> => match.quality !== undefined)
    .sort((a, b) => MATCH_QUALITIES.indexOf(a.quality) - MATCH_QUALITIES.indexOf(b.quality));
}

/**
 * The tags a search means: all those of the best quality found ("retriever": every retriever), so "dog" is the
 * category and not also "Hotdog". A name merely containing the query ("og") is a suggestion, never a search.
 */
export function searchedTags<T extends Tag>(query: string, tags: readonly T[]): T[] {
  const matches = matchTags(query, tags).filter((match) => match.quality !== 'contains');
  return matches.filter((match) => match.quality === matches[0]?.quality).map((match) => match.tag);
}

/** The tags a name stands for where it must name them exactly (an export's classes): any case, plural or synonym. */
export function namedTags<T extends Tag>(name: string, tags: readonly T[]): T[] {
  return matchTags(name, tags)
    .filter((match) => match.quality === 'exact')
    .map((match) => match.tag);
}

const tagKey = (tag: Pick<Tag, 'kind' | 'id'>) => `${tag.kind}:${tag.id}`;

/**
 * Every tag a library can be searched for, each once: the user's own labels, the categories, the model's classes,
 * then what the photos carry beyond those (species, People, scenes, a former model's classes).
 */
export function knownTags(labelSet: LabelSet | null, stored: readonly Tag[], own: readonly Tag[]): Tag[] {
  const tags = new Map<string, Tag>();
  const add = (tag: Tag) => {
    if (!tags.has(tagKey(tag))) tags.set(tagKey(tag), tag);
  };
  own.forEach(add);
  labelSet?.categories.forEach((category) => add({ kind: 'category', id: category.id, name: category.name }));
  labelSet?.labels.forEach((label) => add({ kind: 'label', id: label.id, name: label.name }));
  stored.forEach(add);
  return [...tags.values()];
}

const percent = (score: number) => `${Math.round(score * 100)}%`;

/** "Golden retriever, Labrador retriever and 3 more": the tags a message is about. */
function listed(tags: readonly Tag[]): string {
  const names = tags.slice(0, 2).map((tag) => `"${tag.name}"`);
  const more = tags.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(' and ');
}

/**
 * Why a search shows no photo, as one sentence: no tag matches the query, or the tags it matches are known but no
 * photo carries them at `minScore`.
 */
export function nothingFound(query: string, tags: readonly Tag[], minScore: number): string {
  if (tags.length === 0) return `No tag matches "${query.trim()}".`;
  const one = tags.length === 1;
  return (
    `${listed(tags)} ${one ? 'is' : 'are'} known but no photo carries ${one ? 'it' : 'them'} ` +
    `at ${percent(minScore)} or more.`
  );
}
