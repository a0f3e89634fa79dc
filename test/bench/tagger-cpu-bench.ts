/**
 * CPU per photo of the taggers in their worker, for one checkout, so two builds can be alternated on a shared
 * machine (photos/s there move with other programs' load; CPU time barely does):
 *
 *   node --import tsx test/bench/tagger-cpu-bench.ts [--tree DIR] [--photos N] [--rounds N] [--model-only]
 *
 * Decodes the first N (48) photos of the engine benchmark's set (<tmpdir>/phototag-bench-100; `npm run bench --
 * --photos 100` makes it) at the pipeline's size, then tags them in batches of 8 through DIR's TaggerWorker with the
 * default taggers (or the library model alone with --model-only), `--rounds` times (2) after one round to warm up,
 * and prints one JSON line: CPU milliseconds of every thread of this process per photo, and wall milliseconds.
 * DIR defaults to this checkout; a `git worktree` of another commit is the other build.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { packageRoot } from '../../src-main/app-paths.js';

const { values } = parseArgs({
  options: {
    tree: { type: 'string', default: packageRoot() },
    photos: { type: 'string', default: '48' },
    rounds: { type: 'string', default: '2' },
    'model-only': { type: 'boolean', default: false },
  },
});
const tree = resolve(values.tree);
/** A module of the checkout measured (its own code, not this one's), typed as this checkout's. */
const from = <T>(path: string) => import(join(tree, path)) as Promise<T>;
const { TaggerWorker } = await from<typeof import('../../src-main/taggers/tagger-worker-client.js')>(
  'src-main/taggers/tagger-worker-client.ts',
);
const { photoPixels } = await from<typeof import('../../src-main/taggers/photo-tagger.js')>(
  'src-main/taggers/photo-tagger.ts',
);
const { classifierOnly, taggerPlan } = await from<typeof import('../../src-main/taggers/tagger-plan.js')>(
  'src-main/taggers/tagger-plan.ts',
);
const { decodeSideFor } = await from<typeof import('../../src-main/pipeline/tagging-pipeline.js')>(
  'src-main/pipeline/tagging-pipeline.ts',
);
const { decodePhoto } = await from<typeof import('../../src-main/imaging/decode.js')>('src-main/imaging/decode.ts');
const { findModel, listModels } = await from<typeof import('../../src-main/models/model-catalog.js')>(
  'src-main/models/model-catalog.ts',
);

const BATCH = 8;
const folder = join(tmpdir(), 'phototag-bench-100');
const count = Number(values.photos);
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.jpg'))
  .sort()
  .slice(0, count)
  .map((name) => join(folder, name));
if (files.length < count)
  throw new Error(`${folder} holds ${files.length} photos; npm run bench -- --photos 100 makes them.`);
const dirs = { embedded: join(tree, 'models'), user: join(tree, 'models', 'no-user-models') };
const entry = findModel(listModels(dirs), 'mobilenet-v2-imagenet');
const plan = values['model-only'] ? classifierOnly(entry) : taggerPlan(entry, dirs);
sharp.concurrency(1);
const decoded: Awaited<ReturnType<typeof decodePhoto>>[] = [];
for (const file of files) decoded.push(await decodePhoto(file, decodeSideFor(plan)));
const tagger = await TaggerWorker.start(plan, { modelsDir: dirs.embedded, threads: 1 });
const noExif = { exposureTime: null, fNumber: null, iso: null, camera: null };
const round = async () => {
  for (let at = 0; at < decoded.length; at += BATCH) {
    await tagger.tag(decoded.slice(at, at + BATCH).map((photo) => photoPixels(photo, noExif, { primary: true })));
  }
};
try {
  await round();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < Number(values.rounds); i++) await round();
  const used = process.cpuUsage(cpu);
  const photos = Number(values.rounds) * decoded.length;
  console.log(
    JSON.stringify({
      tree,
      taggers: values['model-only'] ? 'model only' : 'default',
      cpu_ms_per_photo: Math.round(((used.user + used.system) / 1000 / photos) * 10) / 10,
      wall_ms_per_photo: Math.round(((performance.now() - start) / photos) * 10) / 10,
    }),
  );
} finally {
  await tagger.dispose();
}
