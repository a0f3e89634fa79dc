/**
 * The engine benchmark: how fast Phototag tags real-size photos, and what it costs the thread that serves the UI.
 *
 *   npm run bench -- [--photos N] [--folder DIR] [--model ID] [--json] [--sample N] [--baseline-photos N]
 *                    [--embedded-photos N] [--no-embedded] [--no-baseline] [--threads N] [--decoders N]
 *                    [--decode-cost-only]
 *
 * Photos: by default N (200) 12-megapixel JPEGs (4000x3000, quality 90, camera-like grain and EXIF, a quarter of
 * them stored sideways with EXIF orientation 6, like phone photos), made from the fixture photos with a different
 * crop and mirroring per copy so every fingerprint differs. They are cached in <tmpdir>/phototag-bench-<N>, so a
 * rerun starts at once, and a larger set reuses the files of a smaller one. The goal size is 10,000 photos
 * (`--photos 10000`: about 27 GB in the temp folder, and some 20 minutes to make on 2 cores). `--folder DIR` runs
 * on your own photos instead.
 *
 * In one run, for the bench model (`--model`, default resnet56-cifar10, the model the Python baseline can run too):
 * - pipeline: photos/s of the full `phototag tag` path (Library.open on a fresh database, addFolder, scan, tag),
 *   timed from the start of tagging, after the classifier worker has started (the baseline excludes its model load);
 *   during it, event_loop_p99_ms (monitorEventLoopDelay, 1 ms resolution, on this thread: the one that serves the
 *   UI in the app) and peak_rss_mb (rss sampled every 50 ms; worker threads share the process's memory);
 * - decode_floor: photos/s of decode and preprocessing alone with the pipeline's settings (decodePhoto,
 *   toModelInput and makeThumbnail, as many photos in flight as threadPlan's decoders, sharp with one
 *   thread per image), on the first `--sample` photos (default 1000);
 * - inference: photos/s of the classifier worker alone on ready tensors (threadPlan's threads, the pipeline's batch);
 * - ratio = pipeline / min(decode_floor, inference);
 * - baseline: the same photos and model through test/bench/baseline.py (Python, Pillow and torch, one photo at a
 *   time) on the first `--baseline-photos` photos (default 200; its rate per photo does not depend on how many), and
 *   speedup = pipeline / baseline.
 * The decode floor runs in two halves, one before and one after the pipeline, so a change in the load of other
 * programs during the run hits both sides of the ratio; each figure says how many cores other programs kept busy.
 * Then the same figures for the embedded default model (mobilenet-v2-imagenet) alone, and for what users get out of
 * the box: that model with every default tagger (the specialists, the face detector, the scene rules):
 * default_pipeline, its decode floor, the inference of every tagger on ready pixels, default_ratio =
 * default_pipeline / min(that floor, that inference), and default_pipeline against the same model alone
 * (classifier_only_pipeline), and the CPU each of the two pipelines spent a photo (on 2 cores they are bound by it, so
 * the inverse ratio of those is the share with other programs' load taken out). `--no-taggers` leaves that part out.
 *
 * Last, the decode cost: CPU time per photo of everything the pipeline does to a photo besides inference
 * (fingerprint, EXIF, keywords, decode, thumbnail, the model's input), one photo at a time, against the floor of a
 * plain shrink-on-load decode, on 12-megapixel photos and on small copies of them (520x390, made once and cached):
 * the two take turns photo by photo, over 9 rounds, and the median round counts. `--decode-cost-only` measures
 * only that (about 20 s on 2 cores once the photos are made).
 *
 * --threads and --decoders replace threadPlan's split of the cores, everywhere above, to try another one.
 *
 * Prints the figures with their goals (2 cores: ratio >= 0.9, event_loop_p99_ms < 50, peak_rss_mb < 1024 at 10,000
 * photos, speedup >= 3, default_pipeline >= 0.75 x classifier_only_pipeline, default_ratio >= 0.85, decode cost <= 1.5x the floor at
 * 12 MP and <= 2x on small photos); with --json, one JSON object with every figure as the last line of stdout. Progress goes to
 * stderr. It measures, it asserts nothing: not a test.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { packageRoot } from '../../src-main/app-paths.js';
import { TaggerWorker } from '../../src-main/taggers/tagger-worker-client.js';
import { photoPixels, type PhotoPixels } from '../../src-main/taggers/photo-tagger.js';
import { classifierOnly, secondaryTaggers, taggerPlan, type TaggerPlan } from '../../src-main/taggers/tagger-plan.js';
import { decodePhoto, makeThumbnail, toModelInput, type DecodedPhoto } from '../../src-main/imaging/decode.js';
import { withPhotoFile } from '../../src-main/imaging/photo-file.js';
import { fingerprint } from '../../src-main/pipeline/photo-facts.js';
import { scanFolder } from '../../src-main/library/folder-scanner.js';
import { Library, PIPELINE_BATCH, threadPlan } from '../../src-main/library/library.js';
import { isPhotoPath } from '../../src-main/library/photo-formats.js';
import { defaultModelDirs, findModel, listModels, type ModelEntry } from '../../src-main/models/model-catalog.js';
import { decodeSideFor, preparePhoto, THUMBNAIL_SIZE } from '../../src-main/pipeline/tagging-pipeline.js';

const ROOT = packageRoot();
const EMBEDDED_MODEL = 'mobilenet-v2-imagenet';
const GOALS = {
  ratio: 0.9,
  eventLoopP99Ms: 50,
  peakRssMb: 1024,
  speedup: 3,
  photos: 10_000,
  /** Every default tagger against the library's model alone. */
  defaultShare: 0.75,
  defaultRatio: 0.85,
  /** The pipeline's CPU per photo besides inference, against the shrink-on-load floor: 12 MP, and small photos. */
  decodeCostLarge: 1.5,
  decodeCostSmall: 2,
};
/** The pipeline's split of the cores; --threads and --decoders override it for experiments. */
const plan: { threads: number; decoders: number; overridden: boolean } = { ...threadPlan(), overridden: false };

const log = (text: string) => process.stderr.write(`${text}\n`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

// ---------------------------------------------------------------------------------------------------------------
// Photos

const WIDTH = 4000;
const HEIGHT = 3000;
/** The base each copy is cropped from: copies differ by where the 4000x3000 window sits, and by mirroring. */
const BASE_WIDTH = 4200;
const BASE_HEIGHT = 3150;
/** Written into each cache folder; a folder made by another recipe is made again. */
const RECIPE = 'phototag-bench v2: 4000x3000 q90 4:2:0, grain, crop window + flop, EXIF orientation 6 every 4th\n';

/** A small deterministic generator (mulberry32), so every run makes the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const photoName = (index: number) => `IMG_${String(index + 1).padStart(5, '0')}.jpg`;

/**
 * One source photo blown up to the base size with sensor-like grain: a smooth upscale alone compresses to a third
 * of what a phone writes, and a JPEG's decode time grows with its bytes.
 */
async function makeBase(source: string, seed: number): Promise<Buffer> {
  const decoded = await decodePhoto(source, 1_000_000);
  const base = await sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 3 } })
    .resize(BASE_WIDTH, BASE_HEIGHT, { fit: 'cover', kernel: 'linear' })
    .raw()
    .toBuffer();
  const grain = new Int8Array(1 << 20);
  const next = random(seed);
  for (let i = 0; i < grain.length; i++) grain[i] = Math.round((next() + next() - 1) * 16);
  const mask = grain.length - 1;
  for (let i = 0; i < base.length; i++) {
    const value = base[i]! + grain[(i * 7 + 3) & mask]!;
    base[i] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
  return base;
}

async function writeCopy(base: Buffer, index: number, file: string): Promise<void> {
  const next = random(index + 1);
  const taken = new Date(Date.UTC(2023, 0, 1) + index * 97_000);
  const exifDate = taken.toISOString().slice(0, 19).replace(/-/g, ':').replace('T', ' ');
  let image = sharp(base, { raw: { width: BASE_WIDTH, height: BASE_HEIGHT, channels: 3 } }).extract({
    left: Math.floor(next() * (BASE_WIDTH - WIDTH + 1)),
    top: Math.floor(next() * (BASE_HEIGHT - HEIGHT + 1)),
    width: WIDTH,
    height: HEIGHT,
  });
  if (next() < 0.5) image = image.flop();
  const jpeg = await image
    .withExif({
      IFD0: { Make: 'Phototag', Model: 'Bench 12MP', DateTime: exifDate },
      IFD2: { DateTimeOriginal: exifDate },
    })
    .withMetadata({ orientation: index % 4 === 3 ? 6 : 1 })
    .jpeg({ quality: 90 })
    .toBuffer();
  writeFileSync(`${file}.partial`, jpeg);
  renameSync(`${file}.partial`, file);
}

/** The benchmark photos in <tmpdir>/phototag-bench-<count>, made (or linked from another such folder) if missing. */
async function generatedPhotos(count: number): Promise<string> {
  const dir = join(tmpdir(), `phototag-bench-${count}`);
  const recipeFile = join(dir, '.recipe');
  mkdirSync(dir, { recursive: true });
  if (existsSync(recipeFile) && readFileSync(recipeFile, 'utf8') !== RECIPE) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
  }
  writeFileSync(recipeFile, RECIPE);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !existsSync(join(dir, photoName(i))));
  if (missing.length === 0) return dir;

  // Same recipe, same bytes: reuse what a run with another --photos made.
  const siblings = readdirSync(tmpdir())
    .filter((name) => /^phototag-bench-\d+$/.test(name))
    .map((name) => join(tmpdir(), name))
    .filter((other) => other !== dir && existsSync(join(other, '.recipe')))
    .filter((other) => readFileSync(join(other, '.recipe'), 'utf8') === RECIPE);
  const toMake = missing.filter((i) => {
    const from = siblings.map((other) => join(other, photoName(i))).find((file) => existsSync(file));
    if (!from) return true;
    try {
      linkSync(from, join(dir, photoName(i)));
    } catch {
      copyFileSync(from, join(dir, photoName(i)));
    }
    return false;
  });
  if (toMake.length === 0) return dir;

  const fixtures = join(ROOT, 'test', 'fixtures', 'photos');
  const sources = readdirSync(fixtures)
    .filter(isPhotoPath)
    .sort()
    .map((name) => join(fixtures, name));
  log(`Making ${toMake.length} 12-megapixel photos in ${dir} (once; later runs reuse them)...`);
  const started = performance.now();
  let made = 0;
  for (const [s, source] of sources.entries()) {
    const indices = toMake.filter((i) => i % sources.length === s);
    if (indices.length === 0) continue;
    const base = await makeBase(source, s + 1);
    let next = 0;
    const maker = async () => {
      while (next < indices.length) {
        const index = indices[next++]!;
        await writeCopy(base, index, join(dir, photoName(index)));
        if (++made % 100 === 0) log(`  ${made}/${toMake.length} made`);
      }
    };
    await Promise.all(Array.from({ length: availableParallelism() }, maker));
  }
  log(`  made ${made} photos in ${round((performance.now() - started) / 1000)} s`);
  return dir;
}

async function listPhotos(folder: string): Promise<{ path: string; size: number }[]> {
  const photos: { path: string; size: number }[] = [];
  for await (const entry of scanFolder(folder)) if (entry.type === 'photo') photos.push(entry);
  return photos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A folder holding only the first `count` photos (symbolic links, which the scanner follows). */
function subsetFolder(files: string[], count: number, parent: string): string {
  const dir = join(parent, `photos-${count}`);
  mkdirSync(dir);
  for (const file of files.slice(0, count)) symlinkSync(file, join(dir, basename(file)));
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// Measurements

interface PipelineFigures {
  photos: number;
  tagged: number;
  failed: number;
  scanSeconds: number;
  seconds: number;
  photosPerSecond: number;
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  /** Share of the tagging time this thread was busy (performance.eventLoopUtilization). */
  mainThreadUtilization: number;
  cpu: CpuUse;
  rss: { peakMb: number; startMb: number; endMb: number; peakFirstHalfMb: number; peakSecondHalfMb: number };
  /** This thread's JavaScript heap in use when tagging started and ended (no forced collection). */
  heapUsedMb: { start: number; end: number };
  provider: string;
  threads: number;
  /** Top label per photo path, to compare with the baseline. */
  top1: Map<string, string>;
}

/** Busy and total CPU time of the whole machine (Linux /proc/stat), in clock ticks; undefined elsewhere. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { busy: total - fields[3]! - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

interface CpuUse {
  /** CPU time of all this process's threads over wall time, in cores. */
  own: number;
  /** Cores the rest of the machine kept busy meanwhile (other programs; figures are noisy when it is high). */
  others: number | null;
}

/** Starts measuring CPU use; the returned function gives the use since. */
function cpuMeter(): () => CpuUse {
  const own = process.cpuUsage();
  const machine = machineCpu();
  const start = performance.now();
  return () => {
    const used = process.cpuUsage(own);
    const machineEnd = machineCpu();
    const cores = (used.user + used.system) / 1000 / (performance.now() - start);
    const share = machine && machineEnd ? (machineEnd.busy - machine.busy) / (machineEnd.total - machine.total) : null;
    return { own: cores, others: share === null ? null : Math.max(0, share * availableParallelism() - cores) };
  };
}

/** Samples the process's resident memory (all threads) every 50 ms. */
function sampleRss(): { stop: () => { time: number; rss: number }[] } {
  const samples: { time: number; rss: number }[] = [];
  const take = () => samples.push({ time: performance.now(), rss: process.memoryUsage.rss() });
  take();
  const timer = setInterval(take, 50);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** `phototag tag <folder>` into a fresh database, as the CLI does it. */
async function measurePipeline(
  folder: string,
  modelId: string,
  work: string,
  secondaryTaggers = false,
): Promise<PipelineFigures> {
  const dbDir = mkdtempSync(join(work, 'db-'));
  const rssSampler = sampleRss();
  const library = Library.open({
    dbPath: join(dbDir, 'library.sqlite'),
    modelId,
    secondaryTaggers,
    ...(plan.overridden ? { threads: plan.threads, decoders: plan.decoders } : {}),
  });
  try {
    const added = await library.addFolder(folder);
    const scanStart = performance.now();
    const scan = await library.scan(added);
    const scanSeconds = (performance.now() - scanStart) / 1000;
    const info = await library.classifierInfo();

    let lastLog = performance.now();
    library.on('progress', (progress) => {
      if (performance.now() - lastLog < 10_000) return;
      lastLog = performance.now();
      log(`  ${progress.done + progress.failed}/${scan.found} (${round(progress.photosPerSecond)} photos/s)`);
    });
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const elu = performance.eventLoopUtilization();
    const cpu = cpuMeter();
    const heapAtStart = process.memoryUsage().heapUsed;
    const tagStart = performance.now();
    delay.enable();
    const summary = await library.tag();
    delay.disable();
    const tagEnd = performance.now();
    const wallMs = tagEnd - tagStart;
    const cpuUsed = cpu();
    const heapAtEnd = process.memoryUsage().heapUsed;
    const utilization = performance.eventLoopUtilization(elu).utilization;
    const samples = rssSampler.stop();

    const during = samples.filter((s) => s.time >= tagStart && s.time <= tagEnd);
    const middle = (tagStart + tagEnd) / 2;
    const peak = (list: { rss: number }[]) => mb(Math.max(0, ...list.map((s) => s.rss)));
    const top1 = new Map<string, string>();
    for (const photo of library.repo.photosUnder(resolve(folder))) {
      const label = library.repo.withTags(photo).labels[0];
      if (label) top1.set(photo.path, label.id);
    }
    return {
      photos: scan.found,
      tagged: summary.tagged,
      failed: summary.failed,
      scanSeconds,
      seconds: wallMs / 1000,
      photosPerSecond: (summary.tagged + summary.failed) / (wallMs / 1000),
      eventLoop: {
        p50Ms: delay.percentile(50) / 1e6,
        p99Ms: delay.percentile(99) / 1e6,
        maxMs: delay.max / 1e6,
        meanMs: delay.mean / 1e6,
      },
      mainThreadUtilization: utilization,
      cpu: cpuUsed,
      heapUsedMb: { start: mb(heapAtStart), end: mb(heapAtEnd) },
      rss: {
        peakMb: peak(samples),
        startMb: mb(during[0]?.rss ?? samples[0]!.rss),
        endMb: mb(during.at(-1)?.rss ?? samples.at(-1)!.rss),
        peakFirstHalfMb: peak(during.filter((s) => s.time < middle)),
        peakSecondHalfMb: peak(during.filter((s) => s.time >= middle)),
      },
      provider: info.provider.used,
      threads: info.threads,
      top1,
    };
  } finally {
    rssSampler.stop();
    await library.close();
    rmSync(dbDir, { recursive: true, force: true });
  }
}

/**
 * Decode and preprocessing alone, with the pipeline's settings for `plan`; keeps a few inputs for the inference run
 * (`keep` makes one from the decoded photo: a model tensor, or the pixels the taggers take).
 */
async function measureDecodeFloor<T>(
  files: string[],
  plan: TaggerPlan,
  decoders: number,
  keep: (decoded: DecodedPhoto) => Promise<T>,
) {
  sharp.concurrency(1);
  const kept: T[] = [];
  let next = 0;
  let failed = 0;
  const cpu = cpuMeter();
  const start = performance.now();
  const decoder = async () => {
    while (next < files.length) {
      const path = files[next++]!;
      try {
        const decoded = await decodePhoto(path, decodeSideFor(plan));
        const [input] = await Promise.all([keep(decoded), makeThumbnail(decoded, THUMBNAIL_SIZE)]);
        if (kept.length < 4 * PIPELINE_BATCH) kept.push(input);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: decoders }, decoder));
  const seconds = (performance.now() - start) / 1000;
  // A floor of photos that all failed would measure nothing, and read as a fast one.
  if (failed === files.length) throw new Error(`Every photo failed to decode for the decode floor (${files[0]}...).`);
  return { photos: files.length, failed, seconds, photosPerSecond: files.length / seconds, cpu: cpu(), kept };
}

/** The small-photo case of the decode cost: a phone photo as a chat app or a web page keeps it (0.2 megapixels). */
const SMALL = { width: 520, height: 390, quality: 85 };
/** Photos measured one at a time for the decode cost: enough for a steady mean, few enough to stay quick. */
const COST_PHOTOS = 24;
/**
 * Rounds of those photos. A round of small photos lasts a fifth of a second, so a burst of other programs' work moves
 * it: one round each, four runs of the same code read 1.63-2.20x, and one run's 9 rounds 1.36-2.09x on the loaded
 * machine. Their median follows no single burst.
 */
const COST_ROUNDS = 9;

/** Small copies of the first benchmark photos, cached beside them. */
async function smallPhotos(files: string[]): Promise<string[]> {
  const dir = join(tmpdir(), `phototag-bench-small-${SMALL.width}x${SMALL.height}`);
  mkdirSync(dir, { recursive: true });
  return Promise.all(
    files.slice(0, COST_PHOTOS).map(async (file, index) => {
      const target = join(dir, photoName(index));
      if (!existsSync(target)) {
        const image = sharp(file).rotate().resize(SMALL.width, SMALL.height, { fit: 'cover' });
        await image.jpeg({ quality: SMALL.quality }).toFile(`${target}.tmp`);
        renameSync(`${target}.tmp`, target);
      }
      return target;
    }),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * CPU milliseconds per photo (every thread of this process) of `floor` and of `pipeline` on the same files, one
 * call at a time. The two take turns photo by photo (which goes first alternates), so a change in other programs'
 * load falls on both alike; each figure is the median of COST_ROUNDS rounds over every file, and the ratio the
 * median of the rounds' ratios, beside their range.
 */
async function cpuAgainstFloor(
  files: string[],
  floor: (file: string) => Promise<unknown>,
  pipeline: (file: string) => Promise<unknown>,
) {
  const sides = [floor, pipeline];
  for (const work of sides) await work(files[0]!);
  const rounds: { floorMs: number; pipelineMs: number; ratio: number }[] = [];
  for (let round = 0; round < COST_ROUNDS; round++) {
    const spent = [0, 0];
    for (const [index, file] of files.entries()) {
      for (const side of (index + round) % 2 ? [1, 0] : [0, 1]) {
        const start = process.cpuUsage();
        await sides[side]!(file);
        const used = process.cpuUsage(start);
        spent[side]! += (used.user + used.system) / 1000 / files.length;
      }
    }
    rounds.push({ floorMs: spent[0]!, pipelineMs: spent[1]!, ratio: spent[1]! / spent[0]! });
  }
  const ratios = rounds.map((figures) => figures.ratio);
  return {
    floorMs: median(rounds.map((figures) => figures.floorMs)),
    pipelineMs: median(rounds.map((figures) => figures.pipelineMs)),
    ratio: median(ratios),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)] as const,
  };
}

/**
 * What the pipeline's decoding costs a photo against the physical floor, in CPU time (so other programs' load
 * barely moves it): the floor is libvips' shrink-on-load decode to the size the pipeline decodes at, alone; the
 * pipeline's work is everything it does to a photo besides inference: the fingerprint, then preparePhoto as the
 * pipeline calls it (the decode beside EXIF and keywords, the thumbnail), and the library model's input tensor. The
 * default taggers' own inputs (the face detector's letterbox) are part of their inference figure.
 */
async function measureDecodeCost(files: string[], entry: ModelEntry) {
  log(
    `[decode cost] CPU per photo, one at a time: ${Math.min(COST_PHOTOS, files.length)} photos and small copies, ` +
      `${COST_ROUNDS} rounds...`,
  );
  sharp.concurrency(1);
  const plan = classifierOnly(entry);
  const side = decodeSideFor(plan);
  const floor = (file: string) =>
    sharp(file, { sequentialRead: true })
      .rotate()
      .resize({ width: side, height: side, fit: 'outside' })
      .raw()
      .toBuffer();
  const pipeline = async (file: string) => {
    const { decoded } = await withPhotoFile(file, async (photo) => {
      await fingerprint(photo);
      return preparePhoto(photo, plan);
    });
    await toModelInput(decoded, entry.manifest.input);
  };
  const sample = files.slice(0, COST_PHOTOS);
  return {
    large: await cpuAgainstFloor(sample, floor, pipeline),
    small: await cpuAgainstFloor(await smallPhotos(sample), floor, pipeline),
  };
}

type DecodeCost = Awaited<ReturnType<typeof measureDecodeCost>>;

function printDecodeCost(decodeCost: DecodeCost, model: ModelEntry): void {
  console.log(`\nDecode cost: CPU per photo besides inference (${model.manifest.id}), one photo at a time`);
  for (const [name, figures, goal] of [
    [`${WIDTH}x${HEIGHT}`, decodeCost.large, GOALS.decodeCostLarge],
    [`${SMALL.width}x${SMALL.height}`, decodeCost.small, GOALS.decodeCostSmall],
  ] as const) {
    console.log(
      `  ${name.padEnd(18)} ${`${round(figures.pipelineMs)} ms`.padStart(16)}   floor ${round(figures.floorMs)} ms, ` +
        `${round(figures.ratio, 2)}x (rounds ${round(figures.ratioRange[0], 2)}-${round(figures.ratioRange[1], 2)}x); ` +
        `goal <= ${goal}: ${figures.ratio <= goal ? 'ok' : 'MISSED'}`,
    );
  }
}

const decodeCostJson = (decodeCost: DecodeCost) =>
  Object.fromEntries(
    Object.entries(decodeCost).map(([size, figures]) => [
      size,
      {
        pipeline_cpu_ms: round(figures.pipelineMs, 2),
        floor_cpu_ms: round(figures.floorMs, 2),
        ratio: round(figures.ratio, 3),
        ratio_range: figures.ratioRange.map((ratio) => round(ratio, 3)),
        rounds: COST_ROUNDS,
      },
    ]),
  );

/** What every default tagger takes from one decoded photo: the pixels, and no EXIF (the floor reads none). */
const pixelsOf = async (decoded: DecodedPhoto): Promise<PhotoPixels> =>
  photoPixels(decoded, { exposureTime: null, fNumber: null, iso: null, camera: null }, { primary: true });

/**
 * `count` photos through `run`, one batch at a time like the pipeline, after one batch to warm up. `run` gets the
 * index of the batch's first photo and its size.
 */
async function timeBatches(count: number, run: (from: number, size: number) => Promise<unknown>) {
  await run(0, PIPELINE_BATCH);
  const cpu = cpuMeter();
  const start = performance.now();
  for (let done = 0; done < count; done += PIPELINE_BATCH) await run(done, Math.min(PIPELINE_BATCH, count - done));
  const seconds = (performance.now() - start) / 1000;
  return { photos: count, seconds, photosPerSecond: count / seconds, cpu: cpu() };
}

/** Every default tagger in their worker, one batch at a time like the pipeline, on decoded pixels that are ready. */
async function measureTaggers(plan: TaggerPlan, pixels: PhotoPixels[], count: number, threads: number) {
  const tagger = await TaggerWorker.start(plan, { modelsDir: defaultModelDirs().embedded, threads });
  try {
    // The pixels move to the worker with each call, so every batch gets copies.
    return await timeBatches(count, (from, size) =>
      tagger.tag(
        Array.from({ length: size }, (_, i) => {
          const photo = pixels[(from + i) % pixels.length]!;
          return { ...photo, data: photo.data.slice() };
        }),
      ),
    );
  } finally {
    await tagger.dispose();
  }
}

/**
 * The default model with every default tagger, as users get it: the pipeline, its decode floor (decode and
 * thumbnail at the taggers' size) and the taggers' inference alone.
 */
async function measureDefaultTaggers(entry: ModelEntry, folder: string, files: string[], work: string) {
  const taggers = taggerPlan(entry, defaultModelDirs());
  const id = `${entry.manifest.id} + taggers`;
  // Half the floor before the pipeline and half after, as for the model alone: the ratio's two sides see the same
  // drift in other programs' load.
  const halves = [files.slice(0, Math.ceil(files.length / 2)), files.slice(Math.ceil(files.length / 2))];
  const floorHalf = async (photos: string[]) => {
    log(`[${id}] decode floor: ${photos.length} photos, ${plan.decoders} in flight...`);
    const half = await measureDecodeFloor(photos, taggers, plan.decoders, pixelsOf);
    log(`[${id}]   ${round(half.photosPerSecond)} photos/s`);
    return half;
  };
  const before = await floorHalf(halves[0]!);
  log(`[${id}] pipeline: tagging ${files.length} photos into a fresh database...`);
  const pipeline = await measurePipeline(folder, entry.manifest.id, work, true);
  log(`[${id}]   ${round(pipeline.photosPerSecond)} photos/s`);
  const after = halves[1]!.length ? await floorHalf(halves[1]!) : undefined;
  const floor = after ? combineFloors(before, after) : before;
  log(`[${id}] inference of every tagger: ${files.length} photos...`);
  const inference = await measureTaggers(taggers, floor.kept, files.length, plan.threads);
  log(`[${id}]   ${round(inference.photosPerSecond)} photos/s`);
  return {
    taggers: secondaryTaggers(taggers).map((ref) => ref.id),
    pipeline,
    floor,
    floorHalves: after ? [before.photosPerSecond, after.photosPerSecond] : [before.photosPerSecond],
    inference,
    ratio: pipeline.photosPerSecond / Math.min(floor.photosPerSecond, inference.photosPerSecond),
  };
}

/**
 * CPU milliseconds (every thread of this process) per photo of a pipeline run. On 2 cores the pipeline is bound by
 * all the CPU it uses, so the default taggers' share of the model alone is about the inverse ratio of these; unlike
 * photos/s, they barely move with other programs' load.
 */
const cpuMsPerPhoto = (run: PipelineFigures) => (run.cpu.own * run.seconds * 1000) / (run.tagged + run.failed);

/** The classifier worker alone, one batch at a time like the pipeline, on tensors that are ready. */
async function measureInference(entry: ModelEntry, tensors: Float32Array[], count: number, threads: number) {
  const classifier = await TaggerWorker.classifier(entry, { modelsDir: defaultModelDirs().embedded, threads });
  try {
    // The tensors' buffers move to the worker with each call, so every batch gets copies.
    const figures = await timeBatches(count, (from, size) =>
      classifier.classify(Array.from({ length: size }, (_, i) => tensors[(from + i) % tensors.length]!.slice())),
    );
    return { ...figures, threads: classifier.info.threads };
  } finally {
    await classifier.dispose();
  }
}

interface BaselineFigures {
  photos: number;
  failed: number;
  seconds: number;
  photosPerSecond: number;
  torchThreads: number;
  versions: Record<string, string>;
  top1: Map<string, string>;
}

/** test/bench/baseline.py on the first `count` photos; undefined (with the reason logged) when it cannot run. */
function runBaseline(entry: ModelEntry, files: string[], work: string): BaselineFigures | { skipped: string } {
  const list = join(work, 'baseline-photos.txt');
  writeFileSync(list, files.join('\n') + '\n');
  const python = process.env.PHOTOTAG_PYTHON ?? '/usr/bin/python3';
  const script = join(ROOT, 'test', 'bench', 'baseline.py');
  const result = spawnSync(python, [script, '--model-dir', entry.dir, '--list', list, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    maxBuffer: 256 * 2 ** 20,
  });
  if (result.status !== 0) {
    return {
      skipped: `${python} ${basename(script)} failed (${result.error?.message ?? `exit code ${result.status}`})`,
    };
  }
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(last) as {
    photos: number;
    failed: number;
    seconds: number;
    photos_per_second: number;
    torch_threads: number;
    versions: Record<string, string>;
    results: { path: string; labels?: [string, number][] }[];
  };
  const top1 = new Map<string, string>();
  for (const photo of parsed.results) if (photo.labels?.[0]) top1.set(photo.path, photo.labels[0][0]);
  return {
    photos: parsed.photos,
    failed: parsed.failed,
    seconds: parsed.seconds,
    photosPerSecond: parsed.photos_per_second,
    torchThreads: parsed.torch_threads,
    versions: parsed.versions,
    top1,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One model, end to end

async function measureModel(
  entry: ModelEntry,
  folder: string,
  files: string[],
  options: { sample: number; work: string },
) {
  const id = entry.manifest.id;
  // Half the decode floor before the pipeline and half after: on a shared machine the load of other programs
  // drifts, and bracketing keeps the ratio fair. (It costs the pipeline's memory figure a few megabytes.)
  const sample = files.slice(0, options.sample);
  const halves = [sample.slice(0, Math.ceil(sample.length / 2)), sample.slice(Math.ceil(sample.length / 2))];
  const floorHalf = async (photos: string[]) => {
    log(`[${id}] decode floor: ${photos.length} photos, ${plan.decoders} in flight...`);
    const half = await measureDecodeFloor(photos, classifierOnly(entry), plan.decoders, (decoded) =>
      toModelInput(decoded, entry.manifest.input),
    );
    log(`[${id}]   ${round(half.photosPerSecond)} photos/s`);
    return half;
  };
  const before = await floorHalf(halves[0]!);
  log(`[${id}] pipeline: tagging ${files.length} photos into a fresh database...`);
  const pipeline = await measurePipeline(folder, id, options.work);
  log(`[${id}]   ${round(pipeline.photosPerSecond)} photos/s`);
  const after = halves[1]!.length ? await floorHalf(halves[1]!) : undefined;
  const floor = after ? combineFloors(before, after) : before;
  log(`[${id}] inference: ${sample.length} photos, ${plan.threads} thread(s), batches of ${PIPELINE_BATCH}...`);
  const inference = await measureInference(entry, floor.kept, sample.length, plan.threads);
  log(`[${id}]   ${round(inference.photosPerSecond)} photos/s`);
  return {
    model: id,
    pipeline,
    floor,
    floorHalves: after ? [before.photosPerSecond, after.photosPerSecond] : [before.photosPerSecond],
    inference,
    ratio: pipeline.photosPerSecond / Math.min(floor.photosPerSecond, inference.photosPerSecond),
  };
}

type FloorFigures<T> = Awaited<ReturnType<typeof measureDecodeFloor<T>>>;

function combineFloors<T>(a: FloorFigures<T>, b: FloorFigures<T>): FloorFigures<T> {
  const seconds = a.seconds + b.seconds;
  const weigh = (x: number | null, y: number | null) =>
    x === null || y === null ? null : (x * a.seconds + y * b.seconds) / seconds;
  return {
    photos: a.photos + b.photos,
    failed: a.failed + b.failed,
    seconds,
    photosPerSecond: (a.photos + b.photos) / seconds,
    cpu: { own: weigh(a.cpu.own, b.cpu.own)!, others: weigh(a.cpu.others, b.cpu.others) },
    kept: a.kept,
  };
}

type ModelRun = Awaited<ReturnType<typeof measureModel>>;

const cpuJson = (use: CpuUse) => ({
  own: round(use.own, 2),
  others: use.others === null ? null : round(use.others, 2),
});

function modelJson(run: ModelRun) {
  const { pipeline, floor, inference } = run;
  return {
    model: run.model,
    photos: pipeline.photos,
    decode_floor: round(floor.photosPerSecond, 2),
    inference: round(inference.photosPerSecond, 2),
    pipeline: round(pipeline.photosPerSecond, 2),
    ratio: round(run.ratio, 3),
    event_loop_p99_ms: round(pipeline.eventLoop.p99Ms, 2),
    peak_rss_mb: pipeline.rss.peakMb,
    details: {
      tagged: pipeline.tagged,
      failed: pipeline.failed,
      scan_seconds: round(pipeline.scanSeconds, 2),
      tag_seconds: round(pipeline.seconds, 2),
      event_loop_ms: {
        p50: round(pipeline.eventLoop.p50Ms, 2),
        mean: round(pipeline.eventLoop.meanMs, 2),
        max: round(pipeline.eventLoop.maxMs, 2),
      },
      main_thread_utilization: round(pipeline.mainThreadUtilization, 3),
      // Cores this process, and other programs, kept busy during each measurement.
      cpu_cores: {
        pipeline: cpuJson(pipeline.cpu),
        decode_floor: cpuJson(floor.cpu),
        inference: cpuJson(inference.cpu),
      },
      rss_mb: {
        start: pipeline.rss.startMb,
        end: pipeline.rss.endMb,
        peak_first_half: pipeline.rss.peakFirstHalfMb,
        peak_second_half: pipeline.rss.peakSecondHalfMb,
      },
      heap_used_mb: pipeline.heapUsedMb,
      execution_provider: pipeline.provider,
      inference_threads: pipeline.threads,
      decode_floor_photos: floor.photos,
      decode_floor_halves: run.floorHalves.map((rate) => round(rate, 2)),
      decode_floor_failed: floor.failed,
      inference_photos: inference.photos,
    },
  };
}

function printModel(run: ModelRun, extra: string[] = []): void {
  const { pipeline, floor, inference } = run;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const rows: [string, string, string][] = [
    [
      'decode_floor',
      `${round(floor.photosPerSecond)} photos/s`,
      `(decode + preprocess alone, ${floor.photos} photos; ${run.floorHalves.map((rate) => round(rate)).join(' before / ')}` +
        `${run.floorHalves.length > 1 ? ' after the pipeline' : ''})`,
    ],
    ['inference', `${round(inference.photosPerSecond)} photos/s`, `(classifier alone, ${inference.photos} photos)`],
    [
      'pipeline',
      `${round(pipeline.photosPerSecond)} photos/s`,
      `(${pipeline.tagged} tagged, ${pipeline.failed} failed in ${round(pipeline.seconds)} s; scan ${round(pipeline.scanSeconds, 2)} s)`,
    ],
    ['ratio', run.ratio.toFixed(3), `goal >= ${GOALS.ratio}: ${verdict(run.ratio >= GOALS.ratio)}`],
    [
      'event_loop_p99_ms',
      `${round(pipeline.eventLoop.p99Ms)}`,
      `goal < ${GOALS.eventLoopP99Ms}: ${verdict(pipeline.eventLoop.p99Ms < GOALS.eventLoopP99Ms)}` +
        `  (p50 ${round(pipeline.eventLoop.p50Ms)}, max ${round(pipeline.eventLoop.maxMs)}; main thread busy ` +
        `${Math.round(pipeline.mainThreadUtilization * 100)}%)`,
    ],
    [
      'peak_rss_mb',
      `${pipeline.rss.peakMb}`,
      `goal < ${GOALS.peakRssMb} at ${GOALS.photos} photos: ${verdict(pipeline.rss.peakMb < GOALS.peakRssMb)}` +
        `${pipeline.photos < GOALS.photos ? ` (measured at ${pipeline.photos})` : ''}` +
        `  (peak in 1st/2nd half of tagging ${pipeline.rss.peakFirstHalfMb}/${pipeline.rss.peakSecondHalfMb}; ` +
        `JS heap ${pipeline.heapUsedMb.start} -> ${pipeline.heapUsedMb.end})`,
    ],
  ];
  for (const [name, value, note] of rows) console.log(`  ${name.padEnd(18)} ${value.padStart(16)}   ${note}`);
  for (const line of extra) console.log(line);
  const cores = (use: CpuUse) =>
    `${round(use.own, 2)}${use.others === null ? '' : ` (other programs ${round(use.others, 2)})`}`;
  console.log(
    `  cores busy: pipeline ${cores(pipeline.cpu)}, decode_floor ${cores(floor.cpu)}, inference ${cores(inference.cpu)}` +
      ` of ${availableParallelism()}`,
  );
  const busiest = Math.max(...[pipeline.cpu, floor.cpu, inference.cpu].map((use) => use.others ?? 0));
  if (busiest > 0.25) {
    console.log(`  note: other programs kept up to ${round(busiest, 2)} cores busy: these figures are noisy.`);
  }
  console.log(
    `  (${pipeline.threads} inference thread(s) on ${pipeline.provider}, ${plan.decoders} decoder(s), ` +
      `batch ${PIPELINE_BATCH})`,
  );
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      photos: { type: 'string', default: '200' },
      folder: { type: 'string' },
      model: { type: 'string', default: 'resnet56-cifar10' },
      json: { type: 'boolean', default: false },
      sample: { type: 'string', default: '1000' },
      'baseline-photos': { type: 'string', default: '200' },
      'embedded-photos': { type: 'string' },
      'no-embedded': { type: 'boolean', default: false },
      'no-taggers': { type: 'boolean', default: false },
      'no-baseline': { type: 'boolean', default: false },
      threads: { type: 'string' },
      decoders: { type: 'string' },
      'generate-only': { type: 'boolean', default: false },
      'decode-cost-only': { type: 'boolean', default: false },
    },
  });
  const count = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`--${name} takes a whole number of photos, not "${text}".`);
    return value;
  };
  const models = listModels(defaultModelDirs());
  const entry = findModel(models, values.model);
  const embedded = findModel(models, EMBEDDED_MODEL);

  if (values.threads || values.decoders) {
    plan.threads = values.threads ? count('threads', values.threads) : plan.threads;
    plan.decoders = values.decoders ? count('decoders', values.decoders) : plan.decoders;
    plan.overridden = true;
  }
  if (values['generate-only']) {
    await generatedPhotos(count('photos', values.photos));
    return;
  }
  let folder: string;
  if (values.folder) folder = resolve(values.folder);
  else {
    // Making photos leaves this process's memory high (libvips and malloc keep what they used), which would
    // count against the pipeline: a child process makes them.
    const made = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--generate-only', '--photos', values.photos],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (made.status !== 0) throw new Error(`Making the benchmark photos failed (exit code ${made.status}).`);
    folder = await generatedPhotos(count('photos', values.photos));
  }
  const photos = await listPhotos(folder);
  if (photos.length === 0) throw new Error(`No photos in ${folder}.`);
  const files = photos.map((photo) => photo.path);
  const sample = Math.min(files.length, count('sample', values.sample));
  const averageMb = photos.reduce((sum, photo) => sum + photo.size, 0) / photos.length / 2 ** 20;
  if (values['decode-cost-only']) {
    const decodeCost = await measureDecodeCost(files, embedded);
    printDecodeCost(decodeCost, embedded);
    const goals = { decode_cost_large_max: GOALS.decodeCostLarge, decode_cost_small_max: GOALS.decodeCostSmall };
    if (values.json) console.log(JSON.stringify({ decode_cost: decodeCostJson(decodeCost), goals }));
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'phototag-bench-run-'));
  try {
    const main = await measureModel(entry, folder, files, { sample, work });

    let baseline: BaselineFigures | { skipped: string } | undefined;
    if (!values['no-baseline']) {
      const baselineFiles = files.slice(0, count('baseline-photos', values['baseline-photos']));
      log(
        `[baseline] ${basename(entry.dir)} in Python (Pillow + torch), ${baselineFiles.length} photos one at a time...`,
      );
      baseline = runBaseline(entry, baselineFiles, work);
      log(`[baseline]   ${'skipped' in baseline ? baseline.skipped : `${round(baseline.photosPerSecond)} photos/s`}`);
    }

    let embeddedRun: ModelRun | undefined;
    if (!values['no-embedded'] && embedded.manifest.id !== entry.manifest.id) {
      const wanted = values['embedded-photos'] ? count('embedded-photos', values['embedded-photos']) : files.length;
      const embeddedFolder = wanted < files.length ? subsetFolder(files, wanted, work) : folder;
      const embeddedFiles = files.slice(0, wanted);
      embeddedRun = await measureModel(embedded, embeddedFolder, embeddedFiles, {
        sample: Math.min(sample, embeddedFiles.length),
        work,
      });
    }

    // The default model with every default tagger, beside the same model alone (the embedded run, or the main one
    // when it is the embedded model).
    const classifierOnlyRun = embeddedRun ?? (entry.manifest.id === embedded.manifest.id ? main : undefined);
    const defaultRun =
      values['no-taggers'] || !classifierOnlyRun
        ? undefined
        : await measureDefaultTaggers(
            embedded,
            embeddedRun
              ? values['embedded-photos']
                ? subsetFolder(files, classifierOnlyRun.pipeline.photos, work)
                : folder
              : folder,
            files.slice(0, classifierOnlyRun.pipeline.photos),
            work,
          );
    const defaultShare =
      defaultRun && defaultRun.pipeline.photosPerSecond / classifierOnlyRun!.pipeline.photosPerSecond;
    const cpuShare = defaultRun && cpuMsPerPhoto(classifierOnlyRun!.pipeline) / cpuMsPerPhoto(defaultRun.pipeline);
    const decodeCost = await measureDecodeCost(files, embedded);

    const baselineOk = baseline && !('skipped' in baseline) ? baseline : undefined;
    const speedup = baselineOk ? main.pipeline.photosPerSecond / baselineOk.photosPerSecond : undefined;
    let agreement: number | undefined;
    if (baselineOk) {
      const both = [...baselineOk.top1].filter(([path]) => main.pipeline.top1.has(path));
      agreement = both.length
        ? both.filter(([path, label]) => main.pipeline.top1.get(path) === label).length / both.length
        : undefined;
    }

    console.log(
      `Phototag engine benchmark: ${files.length} photos (${values.folder ? '' : '12-megapixel JPEGs, '}` +
        `${round(averageMb, 2)} MB on average) in ${folder}; ${availableParallelism()} cores, Node ${process.version}, ` +
        `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})`,
    );
    console.log(`\nBench model ${entry.manifest.id} (${entry.manifest.name})`);
    const baselineLines: string[] = [];
    if (baseline && 'skipped' in baseline) baselineLines.push(`  baseline           skipped: ${baseline.skipped}`);
    if (baselineOk) {
      baselineLines.push(
        `  ${'baseline'.padEnd(18)} ${`${round(baselineOk.photosPerSecond, 2)} photos/s`.padStart(16)}   ` +
          `(Python ${baselineOk.versions.python}, Pillow ${baselineOk.versions.pillow}, torch ${baselineOk.versions.torch}` +
          ` with ${baselineOk.torchThreads} thread(s); ${baselineOk.photos} photos one at a time)`,
        `  ${'speedup'.padEnd(18)} ${`${round(speedup!, 2)}x`.padStart(16)}   goal >= ${GOALS.speedup}: ` +
          `${speedup! >= GOALS.speedup ? 'ok' : 'MISSED'}` +
          (agreement === undefined ? '' : `  (same top label as the baseline on ${round(agreement * 100)}% of photos)`),
      );
    }
    printModel(main, baselineLines);
    if (embeddedRun) {
      console.log(`\nEmbedded default model ${embedded.manifest.id} (${embedded.manifest.name}), alone`);
      printModel(embeddedRun);
    }
    if (defaultRun) {
      const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
      console.log(`\nEvery default tagger, what users get: ${embedded.manifest.id} + ${defaultRun.taggers.join(', ')}`);
      const rows: [string, string, string][] = [
        [
          'decode_floor',
          `${round(defaultRun.floor.photosPerSecond)} photos/s`,
          `(decode at the taggers' size + thumbnail; ${defaultRun.floorHalves.map((rate) => round(rate)).join(' before / ')}` +
            `${defaultRun.floorHalves.length > 1 ? ' after the pipeline' : ''})`,
        ],
        [
          'inference',
          `${round(defaultRun.inference.photosPerSecond)} photos/s`,
          '(every tagger, preprocessing included)',
        ],
        [
          'default_pipeline',
          `${round(defaultRun.pipeline.photosPerSecond)} photos/s`,
          `(${defaultRun.pipeline.tagged} tagged)`,
        ],
        [
          'vs classifier only',
          `${round(defaultShare!, 3)}x`,
          `of ${round(classifierOnlyRun!.pipeline.photosPerSecond)} photos/s; goal >= ${GOALS.defaultShare}: ` +
            verdict(defaultShare! >= GOALS.defaultShare),
        ],
        [
          'cpu per photo',
          `${round(cpuMsPerPhoto(defaultRun.pipeline))} ms`,
          `against ${round(cpuMsPerPhoto(classifierOnlyRun!.pipeline))} ms for the model alone: ` +
            `${round(cpuShare!, 3)}x (the share when bound by CPU)`,
        ],
        [
          'default_ratio',
          defaultRun.ratio.toFixed(3),
          `goal >= ${GOALS.defaultRatio}: ${verdict(defaultRun.ratio >= GOALS.defaultRatio)}`,
        ],
        [
          'event_loop_p99_ms',
          `${round(defaultRun.pipeline.eventLoop.p99Ms)}`,
          `peak RSS ${defaultRun.pipeline.rss.peakMb} MB`,
        ],
      ];
      for (const [name, value, note] of rows) console.log(`  ${name.padEnd(18)} ${value.padStart(16)}   ${note}`);
    }

    printDecodeCost(decodeCost, embedded);

    if (values.json) {
      console.log(
        JSON.stringify({
          ...modelJson(main),
          baseline: baselineOk ? round(baselineOk.photosPerSecond, 3) : null,
          speedup: speedup === undefined ? null : round(speedup, 2),
          baseline_details: baselineOk
            ? {
                photos: baselineOk.photos,
                failed: baselineOk.failed,
                seconds: round(baselineOk.seconds, 2),
                torch_threads: baselineOk.torchThreads,
                versions: baselineOk.versions,
                top1_agreement: agreement === undefined ? null : round(agreement, 3),
              }
            : baseline && 'skipped' in baseline
              ? { skipped: baseline.skipped }
              : null,
          embedded: embeddedRun ? modelJson(embeddedRun) : null,
          default_pipeline: defaultRun ? round(defaultRun.pipeline.photosPerSecond, 2) : null,
          classifier_only_pipeline: defaultRun ? round(classifierOnlyRun!.pipeline.photosPerSecond, 2) : null,
          default_ratio: defaultRun ? round(defaultRun.ratio, 3) : null,
          default_details: defaultRun
            ? {
                taggers: defaultRun.taggers,
                decode_floor: round(defaultRun.floor.photosPerSecond, 2),
                inference: round(defaultRun.inference.photosPerSecond, 2),
                share_of_classifier_only: round(defaultShare!, 3),
                cpu_ms_per_photo: round(cpuMsPerPhoto(defaultRun.pipeline), 1),
                classifier_only_cpu_ms_per_photo: round(cpuMsPerPhoto(classifierOnlyRun!.pipeline), 1),
                cpu_share_of_classifier_only: round(cpuShare!, 3),
                decode_floor_halves: defaultRun.floorHalves.map((rate) => round(rate, 2)),
                event_loop_p99_ms: round(defaultRun.pipeline.eventLoop.p99Ms, 2),
                peak_rss_mb: defaultRun.pipeline.rss.peakMb,
              }
            : null,
          decode_cost: decodeCostJson(decodeCost),
          setup: {
            folder,
            generated: !values.folder,
            average_photo_mb: round(averageMb, 2),
            cores: availableParallelism(),
            inference_threads: plan.threads,
            decoders: plan.decoders,
            thread_plan_overridden: plan.overridden,
            batch_size: PIPELINE_BATCH,
            node: process.version,
            sharp: sharp.versions.sharp,
            libvips: sharp.versions.vips,
          },
          goals: {
            ratio_min: GOALS.ratio,
            event_loop_p99_ms_max: GOALS.eventLoopP99Ms,
            peak_rss_mb_max: GOALS.peakRssMb,
            peak_rss_at_photos: GOALS.photos,
            speedup_min: GOALS.speedup,
            default_share_min: GOALS.defaultShare,
            default_ratio_min: GOALS.defaultRatio,
            decode_cost_large_max: GOALS.decodeCostLarge,
            decode_cost_small_max: GOALS.decodeCostSmall,
          },
        }),
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
