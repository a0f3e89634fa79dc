/**
 * Where a small photo's CPU goes in preparing it for tagging, step by step: each step timed apart (CPU of every thread
 * of this process, so libvips' own threads count), one call at a time, the steps in turn photo by photo, and the
 * median of the rounds' means per step. The photos are the 520x390 copies the engine bench makes for its decode cost
 * (`npm run bench -- --decode-cost-only` once). Prints figures; asserts nothing.
 *
 *   node --import tsx test/bench/decode-steps-bench.ts [--rounds 20] [--dir /tmp/phototag-bench-small-520x390]
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodePhoto, makeThumbnail, shorterSideFor, toModelInput } from '../../src-main/imaging/decode.js';
import { readManifest } from '../../src-main/models/model-catalog.js';
import { readKeywords } from '../../src-main/pipeline/photo-facts.js';
import { THUMBNAIL_SIZE } from '../../src-main/pipeline/tagging-pipeline.js';
import { MODELS_DIR } from '../helpers.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    dir: { type: 'string', default: join(tmpdir(), 'phototag-bench-small-520x390') },
  },
});
const files = readdirSync(values.dir)
  .filter((name) => name.endsWith('.jpg'))
  .map((name) => join(values.dir, name));
if (files.length === 0) throw new Error(`No photos in ${values.dir}: run npm run bench -- --decode-cost-only once.`);
const input = readManifest(join(MODELS_DIR, 'mobilenet-v2-imagenet')).input;
const side = Math.max(shorterSideFor(input), 240);

/** CPU milliseconds `step` takes. */
async function cpuMs(step: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await step();
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

const steps = ['open and read', "libvips' header pass", 'decode from bytes', 'thumbnail', 'model input', 'keywords'];
const rounds: number[][] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const sums = steps.map(() => 0);
  for (const file of files) {
    let bytes = Buffer.alloc(0);
    sums[0]! += await cpuMs(async () => (bytes = await readFile(file)));
    sums[1]! += await cpuMs(() => sharp(bytes).metadata());
    let decoded!: Awaited<ReturnType<typeof decodePhoto>>;
    sums[2]! += await cpuMs(async () => (decoded = await decodePhoto(bytes, side)));
    sums[3]! += await cpuMs(() => makeThumbnail(decoded, THUMBNAIL_SIZE));
    sums[4]! += await cpuMs(() => toModelInput(decoded, input));
    sums[5]! += await cpuMs(() => readKeywords(file, bytes));
  }
  rounds.push(sums.map((sum) => sum / files.length));
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
console.log(`${files.length} photos, ${rounds.length} rounds, load ${loadavg()[0]!.toFixed(2)}; CPU ms a photo:`);
steps.forEach((step, i) => {
  const each = rounds.map((round) => round[i]!);
  const range = `${Math.min(...each).toFixed(2)}-${Math.max(...each).toFixed(2)}`;
  console.log(`  ${step.padEnd(22)} ${median(each).toFixed(2)} (rounds ${range})`);
});
