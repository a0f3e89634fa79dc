import { photoFilterSchema, type SuggestedTag, type TagRef } from '../api/contract.js';
import { BrowseRepository } from '../db/browse-repository.js';
import { FeatureRepository } from '../db/feature-repository.js';
import type { PhotoRow, TaggedPhoto } from '../db/photo-repository.js';
import type { Library } from '../library/library.js';
import { MIN_LABEL_EXAMPLES } from './label-learner.js';
import type { Suggestion } from './similarity-index.js';

/**
 * What the CLI and the API ask of a library's features, in the library's own terms (photo rows, not ids): similar
 * photos, near-duplicate groups, and what the learned labels suggest.
 */

/** The photos that look most like `photo`, best first, itself left out; an error says why when it has no features. */
export async function similarPhotos(
  library: Library,
  photo: PhotoRow,
  limit: number,
): Promise<{ photo: PhotoRow; score: number }[]> {
  const { index, model } = library.similarity();
  if (photo.status !== 'done' || photo.modelId !== model.id) {
    throw new Error(
      `${photo.path} has not been tagged with ${model.id} yet, so Phototag does not know what it looks like; ` +
        'tag its folder first.',
    );
  }
  return withRows(library, await index.similar(model, photo.id, limit));
}

/** The best of a group of duplicates to keep: the most pixels, then the largest file, then the first path. */
const better = (a: PhotoRow, b: PhotoRow) =>
  (b.width ?? 0) * (b.height ?? 0) - (a.width ?? 0) * (a.height ?? 0) || b.size - a.size || (a.path < b.path ? -1 : 1);

/** Groups of photos that are the same picture, each with the one to keep first, groups in path order. */
export async function duplicateGroups(library: Library): Promise<PhotoRow[][]> {
  const { index, model } = library.similarity();
  const groups = (await index.duplicates(model)).map((ids) =>
    ids
      .map((id) => library.repo.photoById(id))
      .filter((row) => row !== undefined)
      .sort(better),
  );
  return groups.filter((group) => group.length > 1).sort((a, b) => (a[0]!.path < b[0]!.path ? -1 : 1));
}

/** The photos a learned label (by id, or any with null) is suggested on, most likely first, and how many in all. */
export async function suggestedPhotos(
  library: Library,
  labelId: string | null,
  limit: number,
  exclude: number[] = [],
): Promise<{ left: number; suggestions: (Suggestion & { photo: PhotoRow })[] }> {
  const { index, model } = library.similarity();
  const { left, suggestions } = await index.suggestions(model, labelId, limit, exclude);
  return {
    left,
    suggestions: suggestions.flatMap((suggestion) => {
      const photo = library.repo.photoById(suggestion.photoId);
      return photo ? [{ ...suggestion, photo }] : [];
    }),
  };
}

/**
 * For each of these tags, the photos it is suggested on, most likely first (a category never is: only labels are
 * learned), as a filter that includes suggestions needs them. Until some label is learned, nothing is, and no
 * worker is started.
 */
export async function filterSuggestions(library: Library, tags: readonly TagRef[]): Promise<Suggestion[][]> {
  if (!tags.some((tag) => tag.kind === 'label') || !hasLearnedLabels(library)) return tags.map(() => []);
  const { index, model } = library.similarity();
  return Promise.all(
    tags.map(async (tag) =>
      tag.kind === 'label' ? (await index.suggestions(model, tag.id, Number.MAX_SAFE_INTEGER)).suggestions : [],
    ),
  );
}

/**
 * What `phototag search --suggested` adds to the photos carrying the searched tags: those a learned label among
 * them is suggested on and that carry none of them (the grid's rule for "only", PhotoFilter.suggested), each with
 * its tags and the labels suggested, most likely first.
 */
export async function suggestedSearchHits(
  library: Library,
  tags: readonly TagRef[],
  minScore: number,
): Promise<{ photo: TaggedPhoto; score: number; suggested: SuggestedTag[] }[]> {
  const lists = await filterSuggestions(library, tags);
  const filter = photoFilterSchema.parse({
    tags: tags.map(({ kind, id }) => ({ kind, id })),
    match: 'any',
    minScore,
    suggested: 'only',
  });
  const ids = lists.map((list) => list.map((suggestion) => suggestion.photoId));
  const apart = new Set(new BrowseRepository(library.db).ids(filter, ids));
  const byPhoto = new Map<number, SuggestedTag[]>();
  for (const suggestion of lists.flat().sort((a, b) => b.score - a.score)) {
    if (!apart.has(suggestion.photoId)) continue;
    byPhoto.set(suggestion.photoId, [...(byPhoto.get(suggestion.photoId) ?? []), asSuggestedTag(suggestion)]);
  }
  return [...byPhoto].flatMap(([id, suggested]) => {
    const row = library.repo.photoById(id);
    return row ? [{ photo: library.repo.withTags(row), score: suggested[0]!.score, suggested }] : [];
  });
}

const hasLearnedLabels = (library: Library) => new FeatureRepository(library.db).hasLearnableLabels(MIN_LABEL_EXAMPLES);

/**
 * The learned labels suggested on each of these photos (every photo, with null), most likely first. Until some
 * label has MIN_LABEL_EXAMPLES corrections nothing is learned, and no worker is started to say so.
 */
export async function suggestedTags(library: Library, photoIds: number[] | null): Promise<Map<number, SuggestedTag[]>> {
  if (!hasLearnedLabels(library)) return new Map();
  const { index, model } = library.similarity();
  const byPhoto = await index.photoSuggestions(model, photoIds);
  return new Map(Object.entries(byPhoto).map(([id, list]) => [Number(id), list.map(asSuggestedTag)]));
}

/** A suggestion as the API and `show --json` give it: the label, its confidence, marked as a suggestion. */
export const asSuggestedTag = ({ labelId, labelName, score }: Suggestion): SuggestedTag => ({
  id: labelId,
  name: labelName,
  score,
  source: 'suggested',
});

function withRows(library: Library, found: { photoId: number; score: number }[]) {
  return found.flatMap(({ photoId, score }) => {
    const photo = library.repo.photoById(photoId);
    return photo ? [{ photo, score }] : [];
  });
}
