import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Category {
  id: string;
  name: string;
}

export interface Label {
  /** WordNet id for ImageNet classes ("n02099601"), the class name for CIFAR-10 ("dog"). */
  id: string;
  /** Short display name ("Golden retriever"). */
  name: string;
  /** Indexes into LabelSet.categories. */
  categories: number[];
}

export interface LabelSet {
  id: string;
  labels: Label[];
  categories: Category[];
}

function readTsv(file: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  if (!header) throw new Error(`${file} is empty`);
  const columns = header.split('\t');
  return rows.map((row) => {
    const cells = row.split('\t');
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? '']));
  });
}

/**
 * Reads `label-sets/<id>.tsv` (index, id, name, aliases, categories) and the shared `label-sets/categories.tsv`
 * under the models folder. Both are generated offline from WordNet by models/build/build_label_sets.py.
 */
export function loadLabelSet(modelsDir: string, id: string): LabelSet {
  const dir = join(modelsDir, 'label-sets');
  const categories = readTsv(join(dir, 'categories.tsv')).map((row) => ({ id: row.id!, name: row.name! }));
  const categoryIndex = new Map(categories.map((category, i) => [category.id, i]));
  const labels = readTsv(join(dir, `${id}.tsv`)).map((row, i) => {
    if (Number(row.index) !== i) throw new Error(`label set ${id}: row ${i} has index ${row.index}`);
    const ids = row.categories ? row.categories.split(',') : [];
    return {
      id: row.id!,
      name: row.name!,
      categories: ids.map((categoryId) => {
        const index = categoryIndex.get(categoryId);
        if (index === undefined) throw new Error(`label set ${id}: unknown category "${categoryId}" on ${row.id}`);
        return index;
      }),
    };
  });
  return { id, labels, categories };
}
