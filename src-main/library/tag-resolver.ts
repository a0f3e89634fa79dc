import { userLabelId, type Tag } from '../db/correction-repository.js';
import type { LabelSet } from '../models/label-sets.js';

/**
 * Finds the tag a person means by a word: a model class or a category by id ("n02099601", "dog") or display name
 * ("Golden retriever", "Dog"), or one of their own labels. With `allowNew`, an unknown word becomes a new own label.
 */
export function resolveTag(text: string, labelSet: LabelSet, ownLabels: Tag[], allowNew: boolean): Tag {
  const wanted = text.trim();
  const lower = wanted.toLowerCase();
  const candidates: Tag[] = [
    ...labelSet.labels.map((label): Tag => ({ kind: 'label', id: label.id, name: label.name })),
    ...labelSet.categories.map((category): Tag => ({ kind: 'category', id: category.id, name: category.name })),
    ...ownLabels,
  ];
  const found =
    candidates.find((tag) => tag.id === wanted) ??
    candidates.find((tag) => tag.name.toLowerCase() === lower) ??
    candidates.find((tag) => tag.id.toLowerCase() === lower);
  if (found) return found;
  if (allowNew && wanted) return { kind: 'label', id: userLabelId(wanted), name: wanted };
  throw new Error(
    `"${text}" is neither a class of the ${labelSet.id} label set, a category, nor one of your own labels. ` +
      'Add it as your own label with --add.',
  );
}
