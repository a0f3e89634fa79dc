import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import exifr from 'exifr';
import sharp, { type Matrix3x3 } from 'sharp';
import { decodePhoto } from '../../src-main/imaging/decode.js';
import { EXPOSURE_TAGS, exposureOf, SCENES, sceneScores } from '../../src-main/scenes/scene-rules.js';
import { photo, PHOTOS_DIR, tempDir } from '../helpers.js';

/** The confidence from which a scene tag means it; a negative stays well below. */
const MEANT = 0.8;
const NOT = 0.1;

type SceneName = (typeof SCENES)[keyof typeof SCENES]['name'];

/**
 * The scenes of a photo file as the pipeline will read them: decoded once at 256 px on the shorter side, EXIF
 * read by exifr with the exposure tags and the camera picked.
 */
async function scenesOf(path: string): Promise<Record<SceneName, number>> {
  const decoded = await decodePhoto(path, 256);
  const tags = (await exifr
    .parse(path, { pick: [...EXPOSURE_TAGS, 'Make', 'Model'], reviveValues: false })
    .catch(() => undefined)) as Record<string, unknown> | undefined;
  const camera = [tags?.Make, tags?.Model].filter((part) => typeof part === 'string').join(' ') || null;
  const scores = sceneScores(decoded, { ...exposureOf(tags), camera });
  return Object.fromEntries(scores.map((scene) => [scene.name, scene.score])) as Record<SceneName, number>;
}

/** A repeatable pseudo-random sequence in [0, 1), so the made-up photos are the same at every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const clamp = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

/** Raw RGB, each pixel from `colour(x, y)`. */
function paint(width: number, height: number, colour: (x: number, y: number) => [number, number, number]) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colour(x, y).map(clamp), (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Between colour stops [position 0..1, rgb], linearly. */
function gradient(stops: [number, [number, number, number]][], at: number): [number, number, number] {
  const next = stops.findIndex(([position]) => position >= at);
  if (next <= 0) return stops[next === 0 ? 0 : stops.length - 1]![1];
  const [p0, c0] = stops[next - 1]!;
  const [p1, c1] = stops[next]!;
  const t = (at - p0) / (p1 - p0);
  return [0, 1, 2].map((i) => c0[i]! + (c1[i]! - c0[i]!) * t) as [number, number, number];
}

let dir: string;

/** A dark street at night: sensor noise on black, and a few bright lights. */
async function nightFrame(name: string, exif?: Record<string, string>): Promise<string> {
  const next = random(1);
  const lights = Array.from({ length: 12 }, () => [next() * 1200, next() * 900] as const);
  const image = paint(1200, 900, (x, y) => {
    if (lights.some(([lx, ly]) => (x - lx) ** 2 + (y - ly) ** 2 < 36)) return [255, 235, 190];
    const n = 14 + (next() - 0.5) * 16;
    return [n + (next() - 0.5) * 6, n, n + 4 + (next() - 0.5) * 6];
  });
  const path = join(dir, name);
  await (exif ? image.withExif({ IFD2: exif }) : image).jpeg({ quality: 90 }).toFile(path);
  return path;
}

/** A low sun: a sky from lavender through salmon and orange to yellow at the horizon, over dark land. */
async function sunset(): Promise<string> {
  const next = random(2);
  const sky: [number, [number, number, number]][] = [
    [0, [120, 90, 150]],
    [0.25, [235, 120, 90]],
    [0.5, [250, 160, 60]],
    [0.68, [255, 215, 130]],
  ];
  const path = join(dir, 'sunset.jpg');
  await paint(1200, 800, (x, y) => {
    // A hill line across the horizon, and the ground below it in shade.
    const horizon = 0.68 * 800 + 25 * Math.sin(x / 140);
    if (y > horizon) return [28 + next() * 10, 20 + next() * 8, 18 + next() * 8];
    const [r, g, b] = gradient(sky, y / 800);
    const n = (next() - 0.5) * 4;
    return [r + n, g + n, b + n];
  })
    .jpeg({ quality: 90 })
    .toFile(path);
  return path;
}

/** A fox close-up: orange fur over the whole frame, textured at every scale the decoder keeps. */
async function foxFur(): Promise<string> {
  const next = random(3);
  const path = join(dir, 'fox.jpg');
  const coarse = await paint(300, 225, (x) => {
    const streak = 40 * Math.sin(x / 3 + next() * 2) + (next() - 0.5) * 60;
    return [205 + streak, 110 + streak * 0.7, 40 + streak * 0.3];
  })
    .png()
    .toBuffer();
  await sharp(coarse).resize(1200, 900, { kernel: 'cubic' }).jpeg({ quality: 90 }).toFile(path);
  return path;
}

/** An orange wall, evenly lit: orange, smooth, and no brighter above. */
async function orangeWall(): Promise<string> {
  const next = random(4);
  const path = join(dir, 'wall.jpg');
  await paint(1200, 900, () => {
    const n = (next() - 0.5) * 4;
    return [225 + n, 130 + n, 60 + n];
  })
    .jpeg({ quality: 90 })
    .toFile(path);
  return path;
}

/** A settings screen, as an app draws it: flat colours, a few icons, text as bars. */
function settingsScreen(width: number, height: number): Buffer {
  const scale = width / 390;
  const rows = Array.from({ length: 10 }, (_, i) => {
    const top = (150 + i * 56) * scale;
    const icon = ['#34c759', '#007aff', '#ff9500', '#ff3b30', '#5856d6'][i % 5];
    return `<rect x="${16 * scale}" y="${top}" width="${358 * scale}" height="${56 * scale}" fill="#ffffff"/>
      <rect x="${32 * scale}" y="${top + 14 * scale}" width="${28 * scale}" height="${28 * scale}" rx="${6 * scale}" fill="${icon}"/>
      <rect x="${76 * scale}" y="${top + 22 * scale}" width="${(90 + ((i * 37) % 120)) * scale}" height="${12 * scale}" rx="${3 * scale}" fill="#1c1c1e"/>
      <rect x="${76 * scale}" y="${top + 55 * scale}" width="${298 * scale}" height="${1 * scale}" fill="#c6c6c8"/>`;
  }).join('');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#f2f2f7"/>
    <rect x="${16 * scale}" y="${90 * scale}" width="${160 * scale}" height="${30 * scale}" rx="${4 * scale}" fill="#000000"/>
    ${rows}
    <rect y="${height - 83 * scale}" width="100%" height="${83 * scale}" fill="#f9f9f9"/>
    <rect y="${height - 83 * scale}" width="100%" height="${1 * scale}" fill="#b2b2b2"/>
  </svg>`);
}

async function screenshot(name: string, width: number, height: number, exif?: Record<string, string>) {
  const path = join(dir, name);
  const image = sharp(settingsScreen(width, height));
  await (exif ? image.withExif({ IFD0: exif }) : image).png().toFile(path);
  return path;
}

const fixtures = readdirSync(PHOTOS_DIR).filter((file) => /\.(jpg|bmp)$/.test(file));

describe('scene rules on made-up and real photos', () => {
  let real: Map<string, Record<SceneName, number>>;

  before(async () => {
    dir = tempDir();
    real = new Map(await Promise.all(fixtures.map(async (file) => [file, await scenesOf(photo(file))] as const)));
  });

  it('a dark frame with a few bright lights is Night, and nothing else', async () => {
    const scenes = await scenesOf(await nightFrame('night.jpg'));
    assert.ok(scenes.Night >= MEANT, `Night ${scenes.Night}`);
    for (const name of ['Sunset', 'Black & white', 'Screenshot'] as const) assert.ok(scenes[name] < NOT, name);
  });

  it('the exposure in EXIF decides a dark frame: a daylight exposure is a silhouette, a long one is night', async () => {
    const daylight = await scenesOf(await nightFrame('day.jpg', { ExposureTime: '1/500', FNumber: '8/1' }));
    assert.ok(daylight.Night < NOT, `Night ${daylight.Night} at 1/500 s, f/8, ISO 100`);
    const long = await scenesOf(
      await nightFrame('long.jpg', { ExposureTime: '4/1', FNumber: '28/10', ISOSpeedRatings: '800' }),
    );
    assert.ok(long.Night >= 0.95, `Night ${long.Night} at 4 s, f/2.8, ISO 800`);
  });

  it('no fixture photo (daylight, indoor, flash-lit on a dark ground) is Night', () => {
    for (const [file, scenes] of real) assert.ok(scenes.Night < 0.5, `${file}: Night ${scenes.Night}`);
    // eagle.jpg was taken at 21:57 and face.jpg at 23:19: the clock is no sign of night, their exposure is.
    assert.ok(real.get('eagle.jpg')!.Night < NOT && real.get('face.jpg')!.Night < NOT);
  });

  it('a warm sky over dark land is a Sunset', async () => {
    const scenes = await scenesOf(await sunset());
    assert.ok(scenes.Sunset >= MEANT, `Sunset ${scenes.Sunset}`);
    assert.ok(scenes['Black & white'] < NOT, 'a sunset is orange, not toned');
  });

  it('an orange photo is no Sunset: a hot dog, a fox close-up, an orange wall, warm indoor light', async () => {
    assert.ok(real.get('hot_dog.jpg')!.Sunset < NOT);
    assert.ok(real.get('cat.bmp')!.Sunset < NOT, 'cat.bmp: warm light, bright wall above, but warm all over');
    for (const path of [await foxFur(), await orangeWall()]) {
      const scenes = await scenesOf(path);
      assert.ok(scenes.Sunset < NOT, `${path}: Sunset ${scenes.Sunset}`);
    }
    for (const [file, scenes] of real) assert.ok(scenes.Sunset < NOT, `${file}: Sunset ${scenes.Sunset}`);
  });

  it('every fixture photo turned grey, or toned sepia, is Black & white', async () => {
    const sepia: Matrix3x3 = [
      [0.393, 0.769, 0.189],
      [0.349, 0.686, 0.168],
      [0.272, 0.534, 0.131],
    ];
    for (const file of fixtures) {
      const { data, width, height } = await decodePhoto(photo(file), 1024);
      const colour = () => sharp(data, { raw: { width, height, channels: 3 } });
      for (const [tone, image] of [
        ['grey', colour().greyscale()],
        ['sepia', colour().recomb(sepia)],
      ] as const) {
        const path = join(dir, `${tone}-${file}.jpg`);
        await image.jpeg({ quality: 85 }).toFile(path);
        const scenes = await scenesOf(path);
        assert.ok(scenes['Black & white'] >= MEANT, `${tone} ${file}: Black & white ${scenes['Black & white']}`);
      }
    }
  });

  it('every fixture is in colour, grace_hopper.bmp (a colour portrait before a flag) too', () => {
    for (const [file, scenes] of real) {
      assert.ok(scenes['Black & white'] < NOT, `${file}: Black & white ${scenes['Black & white']}`);
    }
  });

  it('a flat app screen at an iPhone size, without EXIF, is a Screenshot', async () => {
    const scenes = await scenesOf(await screenshot('screen.png', 1170, 2532));
    assert.ok(scenes.Screenshot >= MEANT, `Screenshot ${scenes.Screenshot}`);
    assert.ok(scenes.Night < NOT && scenes.Sunset < NOT);
  });

  it('a camera in EXIF, or a size no screen has, makes a flat picture less of a Screenshot', async () => {
    const camera = await scenesOf(await screenshot('camera.png', 1170, 2532, { Make: 'Canon', Model: 'EOS R5' }));
    assert.equal(camera.Screenshot, 0);
    const window = await scenesOf(await screenshot('window.png', 1000, 1000));
    assert.ok(window.Screenshot > 0 && window.Screenshot < 0.5, `a window capture: Screenshot ${window.Screenshot}`);
  });

  it('no fixture photo is a Screenshot, not even cat_1080p.jpg (1920x1080, no EXIF)', () => {
    for (const [file, scenes] of real) assert.ok(scenes.Screenshot < NOT, `${file}: Screenshot ${scenes.Screenshot}`);
  });
});
