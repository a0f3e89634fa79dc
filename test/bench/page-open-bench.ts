/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The callback passed to page.waitForFunction runs in Chromium.
/**
 * What an open page costs a tagging run, two builds of the renderer against each other: one engine on the UI
 * benchmark's synthetic library tags `--tag` real photos at a time alone, with the page of `--old` open and with
 * the page of `--new` open, in turns (the order flips each round), so the load of other programs hits all three.
 * Prints each run's rate and CPU a photo (this process and Chromium's processes), then each page's rate and CPU
 * against tagging alone. It measures, it asserts nothing.
 *
 *   node --import tsx test/bench/page-open-bench.ts --old DIR --new DIR [--photos N] [--tag N] [--rounds N]
 *
 * DIR is a built renderer (dist/renderer): build the old one in a worktree of the commit to compare with.
 */
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Library } from '../../src-main/library/library.js';
import { chooseModel, defaultModelDirs, listModels } from '../../src-main/models/model-catalog.js';
import { secondaryTaggers, taggerPlan, taggerSignature } from '../../src-main/taggers/tagger-plan.js';
import { startWebServer } from '../../src-main/web/web-server.js';
import { launchChromium } from '../e2e/serve-process.js';
import { PHOTOS_DIR } from '../helpers.js';
import { createSyntheticLibrary } from './synthetic-library.js';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string' },
    photos: { type: 'string', default: '1000000' },
    tag: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '4' },
  },
});
if (!values.old || !values.new) throw new Error('Give both renderers: --old DIR --new DIR (built dist/renderer).');
const [PHOTOS, TAGGED, ROUNDS] = [Number(values.photos), Number(values.tag), Number(values.rounds)];

/** CPU milliseconds a process has used, from /proc (Linux). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The parent of process `pid`; undefined once it has gone. */
function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The processes below `pid` (Chromium's browser, renderer and GPU processes). */
function descendants(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && parentOf(name) === pid)
    .map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

const chromiumCpuMs = () => descendants(process.pid).reduce((sum, pid) => sum + processCpuMs(pid), 0);
const mean = (list: number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;

const dirs = defaultModelDirs();
const entry = chooseModel(listModels(dirs));
const model = {
  id: entry.manifest.id,
  version: entry.manifest.version,
  taggers: taggerSignature(secondaryTaggers(taggerPlan(entry, dirs))),
};
const dir = mkdtempSync(join(tmpdir(), 'phototag-page-open-bench-'));
process.env.PHOTOTAG_HOME = join(dir, 'home');
const synthetic = await createSyntheticLibrary(dir, PHOTOS, model);
const library = Library.open({ dbPath: synthetic.dbPath });
const serve = (rendererDir: string) => startWebServer({ library, port: 0, startEngine: false, rendererDir });
const servers = { old: await serve(resolve(values.old)), new: await serve(resolve(values.new)) };
const browser = await launchChromium();
const sources = readdirSync(PHOTOS_DIR).filter((file) => /\.(jpg|bmp)$/.test(file));
let folders = 0;

/** Tags a new folder of hard links to the fixture photos: its rate, and the CPU it cost a photo. */
async function tagRun() {
  const folder = join(dir, `run-${folders++}`);
  mkdirSync(folder);
  for (let i = 0; i < TAGGED; i++) {
    const source = sources[i % sources.length]!;
    linkSync(join(PHOTOS_DIR, source), join(folder, `${String(i).padStart(4, '0')}-${source}`));
  }
  await library.scan(await library.addFolder(folder));
  const cpu = process.cpuUsage();
  const chromium = chromiumCpuMs();
  const run = await library.tag();
  const used = process.cpuUsage(cpu);
  // A page closed before this run takes its processes' CPU with it: never below nothing.
  const chromiumUsed = Math.max(0, chromiumCpuMs() - chromium);
  return { rate: run.photosPerSecond, cpuMs: ((used.user + used.system) / 1000 + chromiumUsed) / TAGGED };
}

/** A page showing the whole library, once its first grid's thumbnails have loaded. */
async function openPage(url: string) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  // tsx compiles this file with esbuild's keepNames, whose __name() helper the browser lacks.
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(
    () => {
      const images = [...document.querySelectorAll<HTMLImageElement>('[role=gridcell] img')];
      return images.length > 10 && images.every((image) => image.complete);
    },
    null,
    { timeout: 180_000 },
  );
  return context;
}

type Kind = 'alone' | 'old' | 'new';
const runs: Record<Kind, { rate: number; cpuMs: number }[]> = { alone: [], old: [], new: [] };
try {
  await tagRun();
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of (round % 2 ? ['new', 'alone', 'old'] : ['old', 'alone', 'new']) as Kind[]) {
      const context = kind === 'alone' ? undefined : await openPage(servers[kind].url);
      const run = await tagRun();
      await context?.close();
      runs[kind].push(run);
      process.stdout.write(
        `round ${round} ${kind.padEnd(5)} ${run.rate.toFixed(2)} photos/s, ${run.cpuMs.toFixed(0)} CPU ms a photo\n`,
      );
    }
  }
  const alone = { rate: mean(runs.alone.map((run) => run.rate)), cpuMs: mean(runs.alone.map((run) => run.cpuMs)) };
  for (const kind of ['old', 'new'] as const) {
    const rate = mean(runs[kind].map((run) => run.rate)) / alone.rate;
    const cpu = alone.cpuMs / mean(runs[kind].map((run) => run.cpuMs));
    process.stdout.write(`${kind} page open: ${rate.toFixed(2)}x the rate alone, ${cpu.toFixed(2)}x in CPU a photo\n`);
  }
} finally {
  await browser.close();
  await servers.old.close();
  await servers.new.close();
  await library.close();
  rmSync(dir, { recursive: true, force: true });
}
