import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blackAndWhiteScore,
  exposureOf,
  exposureValue,
  measurePixels,
  nightScore,
  screenshotScore,
  SCENE_THRESHOLDS,
  type SceneExif,
  type ScenePhoto,
} from '../../src-main/scenes/scene-rules.js';

type Rgb = [number, number, number];

/** A decoded photo of 256x192 pixels from `colour(x, y)`, standing for an original of the size given. */
function frame(colour: (x: number, y: number) => Rgb, original: Partial<ScenePhoto> = {}): ScenePhoto {
  const width = 256;
  const height = 192;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 3);
  return { data, width, height, originalWidth: 1024, originalHeight: 768, format: 'jpeg', ...original };
}

const NO_EXIF: SceneExif = { exposureTime: null, fNumber: null, iso: null, camera: null };
const exposure = (exposureTime: number, fNumber: number, iso: number): SceneExif => ({
  ...NO_EXIF,
  exposureTime,
  fNumber,
  iso,
});

/** A lit scene of mid tones, with a little texture. */
const daylight = frame((x, y) => [120 + ((x * 7 + y * 3) % 40), 110 + ((x * 5) % 30), 100 + ((y * 11) % 30)]);
/** A dark scene, and the same scene with lights covering a third of it (a flash-lit subject on a dark ground). */
const dark = frame((x, y) => [10 + ((x + y) % 12), 10 + ((x * 3) % 12), 14 + ((y * 5) % 12)]);
const darkWithBigLights = frame((x, y) => (x < 90 ? [230, 220, 200] : [10 + ((x + y) % 12), 12, 14]));

describe('Night', () => {
  it('an exposure that says the scene had little light counts, up to exposureWeight, when the pixels look bright', () => {
    const stats = measurePixels(daylight);
    assert.equal(nightScore(stats, NO_EXIF), 0);
    // A phone's night mode: 1 s at f/1.8 and ISO 1600, brightened into a well-exposed picture.
    assert.ok(Math.abs(nightScore(stats, exposure(1, 1.8, 1600)) - SCENE_THRESHOLDS.night.exposureWeight) < 1e-9);
    // A lit room exposes at EV 5-6: weak evidence on its own.
    assert.ok(nightScore(stats, exposure(1 / 60, 1.8, 400)) < 0.3);
  });

  it('a bright scene exposure makes dark pixels a silhouette, not a night', () => {
    const stats = measurePixels(dark);
    assert.equal(nightScore(stats, NO_EXIF), 1);
    assert.equal(nightScore(stats, exposure(1 / 1000, 8, 100)), 0);
  });

  it('lights covering a third of a dark frame make it far less of a night than a few lights', () => {
    assert.ok(nightScore(measurePixels(darkWithBigLights), NO_EXIF) < 0.3);
  });

  it('EV100 takes the aperture and ISO the file gives, else those of a phone at base ISO', () => {
    assert.ok(Math.abs(exposureValue(exposure(1 / 500, 8, 100))! - Math.log2(64 * 500)) < 1e-9);
    assert.ok(Math.abs(exposureValue({ ...NO_EXIF, exposureTime: 1 / 4 })! - Math.log2(4 * 4)) < 1e-9);
    assert.equal(exposureValue(NO_EXIF), null);
  });
});

describe('Black & white', () => {
  it('a grey picture is, one with vivid spots over 1.5% of it (app icons, a red coat) is not', () => {
    const grey = (x: number, y: number): Rgb => [(x + y) % 256, (x + y) % 256, (x + y) % 256];
    assert.equal(blackAndWhiteScore(measurePixels(frame(grey))), 1);
    const spotted = frame((x, y) => (x < 24 && y < 32 ? [220, 30, 30] : grey(x, y)));
    assert.equal(blackAndWhiteScore(measurePixels(spotted)), 0);
  });

  it('a deep blue, dark by its luma, is colour all the same', () => {
    const blue = frame((x, y) => (x < 64 ? [0, 0, 200] : [(x + y) % 256, (x + y) % 256, (x + y) % 256]));
    assert.equal(blackAndWhiteScore(measurePixels(blue)), 0);
  });

  it('one muted hue is toned when its colour follows the brightness, colour when things of one brightness differ', () => {
    // An olive tint whose colour is set by the brightness alone, as a toned print's is.
    const olive = (v: number): Rgb => [v + 10, v + 30, v - 30];
    const shade = (x: number, y: number) => 40 + ((x + y) % 180);
    const toned = measurePixels(frame((x, y) => olive(shade(x, y))));
    assert.ok(toned.toneSpread < 1, `tone spread ${toned.toneSpread}`);
    assert.equal(blackAndWhiteScore(toned), 1);
    // The same hue, and as muted, but a grey-olive pig stands on the olive grass at the grass's brightness.
    const pig = (v: number): Rgb => [v + 3, v + 10, v - 10];
    const farm = measurePixels(frame((x, y) => (x % 64 < 24 ? pig : olive)(shade(x, y))));
    assert.ok(farm.hueConcentration >= SCENE_THRESHOLDS.blackAndWhite.tintConcentration[1], 'one hue all the same');
    assert.ok(farm.toneSpread > SCENE_THRESHOLDS.blackAndWhite.toneSpread[0], `tone spread ${farm.toneSpread}`);
    assert.equal(blackAndWhiteScore(farm), 0);
  });

  it('a frame nearly all black shows no colour because it shows nothing: it is not black & white', () => {
    assert.equal(blackAndWhiteScore(measurePixels(dark)), 0);
  });
});

describe('Screenshot', () => {
  /** White with black bars and a blue button: flat colours, sharp edges. */
  const screen = (original: Partial<ScenePhoto>) =>
    frame((x, y) => (y % 24 < 4 ? [0, 0, 0] : x > 200 && y > 150 ? [0, 122, 255] : [255, 255, 255]), original);

  it('screen sizes, at 1x to 4x and either way round, fit fully; a tall phone shape at a phone size less; others least', () => {
    const score = (original: Partial<ScenePhoto>) => {
      const photo = screen({ format: 'png', ...original });
      return screenshotScore(measurePixels(photo), photo, NO_EXIF);
    };
    const rule = SCENE_THRESHOLDS.screenshot;
    for (const [originalWidth, originalHeight] of [
      [1170, 2532], // iPhone 12-14 (390x844 at 3x)
      [2532, 1170],
      [2880, 1800], // 1440x900 at 2x
      [1080, 2400], // 360x800 at 3x
      [1920, 1080],
    ]) {
      assert.equal(score({ originalWidth, originalHeight }), rule.screenSizeFit, `${originalWidth}x${originalHeight}`);
    }
    assert.equal(score({ originalWidth: 1000, originalHeight: 2200 }), rule.phoneRatioFit);
    assert.equal(score({ originalWidth: 320, originalHeight: 700 }), rule.phoneRatioFit, 'as narrow as a phone');
    assert.equal(score({ originalWidth: 320, originalHeight: 126 }), rule.otherSizeFit, 'a banner, narrower than any');
    assert.equal(score({ originalWidth: 1000, originalHeight: 1000 }), rule.otherSizeFit);
    assert.equal(score({ originalWidth: 4032, originalHeight: 3024 }), rule.otherSizeFit, "a phone camera's 4:3");
  });

  it('a camera in EXIF rules it out; a JPEG counts a little less than a PNG', () => {
    const png = screen({ originalWidth: 1170, originalHeight: 2532, format: 'png' });
    const jpeg = { ...png, format: 'jpeg' };
    const stats = measurePixels(png);
    assert.equal(screenshotScore(stats, png, { ...NO_EXIF, camera: 'Apple iPhone 13' }), 0);
    assert.equal(screenshotScore(stats, jpeg, NO_EXIF), SCENE_THRESHOLDS.screenshot.otherFormatFit);
  });

  it('a smooth surface (a wall, a clear sky) has flat runs but gentle steps: no screenshot', () => {
    // Once shrunk, a photo's noise on a smooth wall is steps of one level here and there.
    const wall = frame(
      (x, y) => {
        const step = (x * x + 7 * y) % 5 === 0 ? 1 : 0;
        return [200 + step, 120 + step, 60 + step];
      },
      { originalWidth: 1920, originalHeight: 1080 },
    );
    assert.ok(measurePixels(wall).flatShare > SCENE_THRESHOLDS.screenshot.flatShare[1]);
    assert.equal(screenshotScore(measurePixels(wall), wall, NO_EXIF), 0);
  });
});

describe('EXIF and pixels in', () => {
  it('reads the exposure as exifr gives it: numbers, ISO as a list, and nothing for what is missing or absurd', () => {
    assert.deepEqual(exposureOf({ ExposureTime: 0.002, FNumber: 8, ISO: 100 }), {
      exposureTime: 0.002,
      fNumber: 8,
      iso: 100,
    });
    assert.deepEqual(exposureOf({ ISO: [400, 0] }), { exposureTime: null, fNumber: null, iso: 400 });
    assert.deepEqual(exposureOf({ ExposureTime: 0, FNumber: 'f/2', ISO: -1 }), {
      exposureTime: null,
      fNumber: null,
      iso: null,
    });
    assert.deepEqual(exposureOf(undefined), { exposureTime: null, fNumber: null, iso: null });
  });

  it('refuses pixels that are not width x height x 3 bytes, saying what it expected', () => {
    assert.throws(
      () => measurePixels({ data: new Uint8Array(10), width: 4, height: 4 }),
      /4x4 RGB pixels \(48 bytes\), not 10 bytes/,
    );
  });
});
