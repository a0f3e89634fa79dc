import type { SidecarTagRow } from '../db/xmp-repository.js';
import type { LabelSet } from '../models/label-sets.js';
import type { XmpTag } from './xmp-document.js';

/** The root of Phototag's keyword hierarchy in lr:hierarchicalSubject and digiKam:TagsList. */
export const HIERARCHY_ROOT = 'Phototag';

/**
 * Where a tag sits in the hierarchy: a category under the root ("Phototag|Dog"), a label under its category
 * ("Phototag|Dog|Golden retriever"; a species' id names its category, "bird:Ara macao"), and a label of no
 * category (an own label, a keyword) under the root.
 */
function pathOf(row: SidecarTagRow, labelSet: LabelSet | null): string[] {
  if (row.kind === 'category') return [HIERARCHY_ROOT, row.name];
  const categories = labelSet?.categories ?? [];
  const index = labelSet?.labels.find((label) => label.id === row.id)?.categories[0];
  const speciesOf = row.id.includes(':') ? row.id.slice(0, row.id.indexOf(':')) : undefined;
  const category = index !== undefined ? categories[index] : categories.find((candidate) => candidate.id === speciesOf);
  return category ? [HIERARCHY_ROOT, category.name, row.name] : [HIERARCHY_ROOT, row.name];
}

/** What a photo's XMP carries: its user's and file's tags, then the model's at `threshold` or more. */
export function xmpTagsOf(rows: SidecarTagRow[], labelSet: LabelSet | null, threshold: number): XmpTag[] {
  return rows
    .filter((row) => row.source !== 'model' || row.score >= threshold)
    .map((row) => ({
      kind: row.kind,
      id: row.id,
      name: row.name,
      path: pathOf(row, labelSet),
      score: row.score,
      source: row.source,
      model: row.source === 'model' && row.modelId ? `${row.modelId}@${row.modelVersion ?? ''}` : null,
    }));
}
