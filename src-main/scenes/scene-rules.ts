import type { Score } from '../api/contract.js';

/**
 * Scene rules: "Night", "Sunset", "Black & white" and "Screenshot", read from the pixels the pipeline already
 * decoded (about 256 px on the shorter side) and a few EXIF facts, without a model. One pass over the pixels
 * gathers the statistics (measurePixels); each rule is a small function of them that answers a confidence 0..1, so
 * a tag can read "Night 80%". Every threshold is in SCENE_THRESHOLDS below, and nowhere else.
 */

/** The decoded photo, as decodePhoto gives it: only what the rules read. */
export interface ScenePhoto {
  /** sRGB, 3 channels, row after row. */
  data: Uint8Array;
  width: number;
  height: number;
  /** The full image's size, upright: a screenshot has the size of the screen, the decoded copy does not. */
  originalWidth: number;
  originalHeight: number;
  /** The file's image format ("png", "jpeg", ...). */
  format: string;
}

/**
 * What the rules read from EXIF. The date taken is left out on purpose: EXIF stores local time without a time
 * zone, camera clocks are often wrong, night starts at 16:00 or 23:00 by season and latitude, and a party at
 * 23:00 is lit. Of the fixtures, eagle.jpg (21:57) is daylight and face.jpg (23:19) a flash-lit room; the exposure
 * measures the scene's light instead.
 */
export interface SceneExif {
  /** Seconds (ExposureTime); null when not written. */
  exposureTime: number | null;
  /** The aperture (FNumber); null when not written. */
  fNumber: number | null;
  /** ISO (exifr's name for ISOSpeedRatings); null when not written. */
  iso: number | null;
  /** Make and model as the library stores them; null when the file names no camera. */
  camera: string | null;
}

/** The EXIF tags exifr must pick for SceneExif, beside Make and Model that the camera comes from. */
export const EXPOSURE_TAGS = ['ExposureTime', 'FNumber', 'ISO'] as const;

export const SCENES = {
  night: { id: 'scene:night', name: 'Night' },
  sunset: { id: 'scene:sunset', name: 'Sunset' },
  blackAndWhite: { id: 'scene:black-and-white', name: 'Black & white' },
  screenshot: { id: 'scene:screenshot', name: 'Screenshot' },
} as const;

/**
 * Every threshold of the rules. Luma and chroma are on the 0..255 scale of the pixels; a pair [a, b] is a ramp:
 * the rule's factor is 0 at a and 1 at b, linear between (a > b when less means more).
 */
export const SCENE_THRESHOLDS = {
  night: {
    /** A pixel darker than this luma is dark. */
    darkLuma: 50,
    /** The median luma: the median ignores a few street lights or stars, where the mean would not. */
    medianLuma: [60, 25],
    /** The share of dark pixels. */
    darkShare: [0.5, 0.8],
    /** A pixel at least this bright is lit. */
    litLuma: 100,
    /**
     * The share of lit pixels: lights at night are small; a flash photo of food or a face on a dark background
     * (hot_dog.jpg) lights a quarter of the frame or more.
     */
    litShare: [0.3, 0.12],
    /** Exposure value at ISO 100 (EV100) of the scene: indoor rooms are 5-7, a lit street at night 2-5. */
    darkExposure: [7, 3],
    /** EV100 of a bright scene (overcast day 12, sunny 15): dark pixels there are a silhouette or a low-key shot. */
    brightExposure: [8, 11],
    /**
     * How far the exposure alone goes when the pixels look bright: phones brighten night shots, and a dim room
     * exposes like a street at night.
     */
    exposureWeight: 0.7,
    /** Phones are f/1.5-2.4: the aperture assumed when the file does not say. */
    assumedFNumber: 2,
    /** The ISO assumed when the file gives an exposure time but no ISO. */
    assumedIso: 100,
  },
  sunset: {
    /** The upper share of the rows is the sky, the lower share the ground; the horizon band between is ignored. */
    skyRows: 0.4,
    groundRows: 0.4,
    /** Warm hues, in degrees: red through orange to yellow (0 is red, 60 yellow, negative towards magenta). */
    warmHue: [-20, 60],
    /** A warm pixel's least saturation (max - min) / max, and least brightness max / 255: low sun, not brown. */
    warmSaturation: 0.3,
    warmValue: 0.35,
    /** The share of warm pixels in the sky. */
    warmSky: [0.15, 0.45],
    /**
     * How much larger that share is in the sky than on the ground: the ground is in shade at sunset, while a photo
     * warm all over (a fox's fur, warm indoor light as in cat.bmp) is warm below too.
     */
    warmSkyOverGround: [0.1, 0.35],
    /** How much brighter (mean luma) the sky is than the ground: the sun lights the sky, the ground is in shade. */
    skyOverGround: [15, 50],
    /** The sky's mean luma step between neighbouring pixels: a sky is a smooth gradient, fur or food is textured. */
    skyTexture: [7, 3],
  },
  blackAndWhite: {
    /**
     * Colour shows only where there is light: it is judged on the pixels whose brightest channel reaches this (a
     * deep blue is dark by luma but vivid), and only when there are enough of them (visibleShare): a frame nearly
     * all black shows no colour because it shows nothing.
     */
    visibleValue: 50,
    visibleShare: [0.1, 0.3],
    /** A pixel whose channels differ by at most this much has no colour (JPEG noise of a grey photo stays within). */
    greyChroma: 10,
    /** The share of colourless pixels among the visible ones. */
    greyShare: [0.9, 0.98],
    /**
     * Toned monochrome (sepia, cyanotype): one hue. How tightly the hues gather, each pixel weighted by its chroma
     * (1: all the same, 0: spread round the circle). For hues spread normally it is exp(-sd^2 / 2): 0.93 is a
     * standard deviation of 22 degrees, 0.98 of 11 (sepia made from parrot.jpg: 0.994). Muted colour photos of one
     * hue stay below: the grass of pets.jpg 0.83, the sky and greens of bird.bmp 0.90.
     */
    tintConcentration: [0.93, 0.98],
    /**
     * A toned print's colour follows its brightness alone, so pixels of one brightness share one colour: how far
     * they stray from it (toneSpread in PixelStats). Sepia and blue tints of the fixtures, saved as JPEG at quality
     * 70-85 or with grain added, stray 2-9 (JPEG's coarser colour does it); colour photos of one muted hue, whose
     * things differ in colour at one brightness, stray more (a pig on grass: 14, a red cliff dwelling 16).
     */
    toneSpread: [12, 9],
    /**
     * Sepia's chroma peaks near 80 in the light tones; a colour photo of one hue (underwater, a sunset, a fox) goes
     * far above on many pixels.
     */
    tintMaxChroma: 96,
    /**
     * The share of pixels above tintMaxChroma, among the visible ones: a toned print has none, and neither has a grey
     * one (a picture that is colourless but for a few vivid spots, as an app's screen with its icons, is colour).
     */
    vividShare: [0.01, 0.002],
  },
  screenshot: {
    /** The top colours of the flat regions (pixels equal to their left neighbour) that are counted. */
    topColours: 8,
    /** The share of pixels in flat runs of those few exact colours; camera photos have almost none (noise). */
    flatShare: [0.3, 0.6],
    /**
     * A gentle step is a pixel at most this far (in any channel) from its left neighbour, but not equal: what smooth
     * surfaces and gradients of a photo leave once shrunk. A screen's colours are equal or far apart (sharp edges).
     */
    gentleStep: 3,
    gentleShare: [0.25, 0.1],
    /** The size factor for an exact screen size, a tall phone's aspect ratio, and any other size (a window). */
    screenSizeFit: 1,
    phoneRatioFit: 0.75,
    otherSizeFit: 0.4,
    /** A tall phone screen is at least this much taller than wide (18:9 and up); cameras shoot 4:3, 3:2, 16:9. */
    phoneRatio: 1.95,
    /**
     * And at least this wide: no phone's screen is narrower (the first iPhone SE, 320 points), so a smaller picture
     * of that shape is a banner or a product cut out on white (pliers of 320x126), not a capture of a whole screen.
     */
    phoneMinSide: 320,
    /** Screenshots are PNG; a JPEG one (re-saved by a messenger) counts a little less. */
    pngFit: 1,
    otherFormatFit: 0.85,
  },
} as const;

/**
 * Screen sizes, smaller side first: in points for Apple's devices and CSS pixels for computers, which a screenshot
 * has at scale 1, 2, 3 or 4; Android's densities are not whole (2.625, 2.75), so its phones are listed in pixels.
 */
const SCREENS = [
  // iPhones: SE, 8, 8 Plus, X-11 Pro, XR/11, 12 mini, 12-14, 12-14 Pro Max/Plus, 14 Pro-16, 15-16 Plus/Pro Max, 16 Pro.
  '320x568 375x667 414x736 375x812 414x896 360x780 390x844 428x926 393x852 430x932 440x956 402x874',
  // Android phones.
  '720x1280 720x1600 1080x1920 1080x2160 1080x2280 1080x2340 1080x2400 1440x2560 1440x2960 1440x3120 1440x3200',
  '1344x2992 1280x2856',
  // iPads, Android tablets.
  '768x1024 810x1080 820x1180 834x1112 834x1194 1024x1366 744x1133 800x1280 1200x1920 1600x2560',
  // Computers, but those the same size as a phone or tablet above (1920x1080, 2560x1440, 1920x1200, 2560x1600):
  // laptops and monitors, ultrawide, MacBooks (Air 13/15, Pro 14/16), iMac, Surface, Framework.
  '1024x1280 768x1366 900x1440 864x1536 900x1600 1050x1680 1080x2560 1440x3440',
  '832x1280 932x1440 982x1512 1117x1728 1260x2240 912x1368 1504x2256',
].flatMap((group) => group.split(' '));
const SCREEN_SCALES = [1, 2, 3, 4];
/** "1170x2532" for every screen at every scale. */
const SCREEN_SIZES = new Set(
  SCREENS.flatMap((size) => {
    const [short, long] = size.split('x').map(Number) as [number, number];
    return SCREEN_SCALES.map((scale) => sizeKey(short * scale, long * scale));
  }),
);

function sizeKey(width: number, height: number): string {
  return `${Math.min(width, height)}x${Math.max(width, height)}`;
}

/** 0 at `zero`, 1 at `one`, linear between and clamped (zero > one when smaller values score higher). */
function ramp(value: number, [zero, one]: readonly [number, number]): number {
  return Math.min(1, Math.max(0, (value - zero) / (one - zero)));
}

/** What the rules know of the pixels, from one pass over them. */
export interface PixelStats {
  pixels: number;
  medianLuma: number;
  /** Pixels darker than darkLuma, and pixels at least litLuma. */
  darkShare: number;
  litShare: number;
  /** Pixels bright enough to show colour, and among those the ones with no colour and the vivid ones. */
  visibleShare: number;
  greyShare: number;
  vividShare: number;
  /** How tightly the hues gather, 0..1, each pixel weighted by its chroma; 1 when there is no colour at all. */
  hueConcentration: number;
  /**
   * How far the visible pixels' colours stray from the mean colour of the visible pixels as bright as each (in
   * luma steps of TONE_STEP): the root mean square on the opponent axes, in 0..255 units; 0 when none is visible.
   */
  toneSpread: number;
  /**
   * Warm pixels in the sky rows and in the ground rows, the sky's mean luma above the ground's, and the sky's mean
   * luma step between neighbours.
   */
  warmSkyShare: number;
  warmGroundShare: number;
  skyOverGround: number;
  skyTexture: number;
  /** Pixels in flat runs of the few most common exact colours, and pixels a gentle step from their left neighbour. */
  flatShare: number;
  gentleShare: number;
}

/** Rec. 601 luma, 0..255, in integer arithmetic. */
const luma = (r: number, g: number, b: number) => (77 * r + 150 * g + 29 * b) >> 8;

/**
 * The rows the rules read: every ROW_STEP-th. They read shares, means and a median over the frame, and steps between
 * neighbours along a row, which every other row gives about as well as all of them do, at half the cost.
 */
const ROW_STEP = 2;

/** The luma step of toneSpread's brightness bands: a band as wide as this holds pixels of one brightness. */
const TONE_STEP = 8;

/** How many of the rows from `start` up to `end` (not included) are read. */
const rowsRead = (start: number, end: number) => Math.ceil(end / ROW_STEP) - Math.ceil(start / ROW_STEP);

/** The statistics every rule reads, gathered in one pass over the pixels (every ROW_STEP-th row of them). */
export function measurePixels(photo: Pick<ScenePhoto, 'data' | 'width' | 'height'>): PixelStats {
  const { data, width, height } = photo;
  if (width * height === 0 || data.length !== width * height * 3) {
    throw new Error(
      `Scene rules need ${width}x${height} RGB pixels (${width * height * 3} bytes), not ${data.length} bytes.`,
    );
  }
  const pixels = rowsRead(0, height) * width;
  const night = SCENE_THRESHOLDS.night;
  const sunset = SCENE_THRESHOLDS.sunset;
  const mono = SCENE_THRESHOLDS.blackAndWhite;
  const screen = SCENE_THRESHOLDS.screenshot;
  const skyEnd = Math.round(height * sunset.skyRows);
  const groundStart = height - Math.round(height * sunset.groundRows);
  const tanLow = Math.tan((sunset.warmHue[0] * Math.PI) / 180);
  const tanHigh = Math.tan((sunset.warmHue[1] * Math.PI) / 180);

  const histogram = new Uint32Array(256);
  let dark = 0;
  let lit = 0;
  let visible = 0;
  let grey = 0;
  let vivid = 0;
  let gentle = 0;
  // Hue as a vector on the opponent axes (its length is the chroma): summing them gives the mean hue's direction.
  let hueX = 0;
  let hueY = 0;
  let hueLength = 0;
  // Per brightness band: the visible pixels, the sums of their opponent axes, and of their squared lengths.
  const bands = 256 / TONE_STEP;
  const bandPixels = new Float64Array(bands);
  const bandX = new Float64Array(bands);
  const bandY = new Float64Array(bands);
  const bandSquares = new Float64Array(bands);
  let skyWarm = 0;
  let groundWarm = 0;
  let skyLuma = 0;
  let skyStep = 0;
  let groundLuma = 0;
  // Flat runs: a pixel equal to its left neighbour, counted by colour (few colours in a screenshot, few runs in a photo).
  const runs = new Map<number, number>();
  for (let y = 0; y < height; y += ROW_STEP) {
    let i = y * width * 3;
    let leftColour = -1;
    let leftLuma = 0;
    for (let x = 0; x < width; x++, i += 3) {
      const r = data[i]!;
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      const y8 = luma(r, g, b);
      histogram[y8]!++;
      const max = Math.max(r, g, b);
      const chroma = max - Math.min(r, g, b);
      if (y8 < night.darkLuma) dark++;
      else if (y8 >= night.litLuma) lit++;
      const a = r - (g + b) / 2;
      const o = (Math.sqrt(3) / 2) * (g - b);
      if (max >= mono.visibleValue) {
        visible++;
        if (chroma <= mono.greyChroma) grey++;
        else if (chroma > mono.tintMaxChroma) vivid++;
        const band = Math.floor(y8 / TONE_STEP);
        bandPixels[band]!++;
        bandX[band]! += a;
        bandY[band]! += o;
        bandSquares[band]! += a * a + o * o;
      }
      hueX += a;
      hueY += o;
      hueLength += Math.sqrt(a * a + o * o);
      // A warm hue lies between the two angles: a > 0 (towards red), and o / a between their tangents.
      const warm =
        a > 0 &&
        o >= a * tanLow &&
        o <= a * tanHigh &&
        chroma >= sunset.warmSaturation * max &&
        max >= sunset.warmValue * 255;
      if (y < skyEnd) {
        skyLuma += y8;
        if (x > 0) skyStep += Math.abs(y8 - leftLuma);
        if (warm) skyWarm++;
      } else if (y >= groundStart) {
        groundLuma += y8;
        if (warm) groundWarm++;
      }
      const colour = (r << 16) | (g << 8) | b;
      if (colour === leftColour) runs.set(colour, (runs.get(colour) ?? 0) + 1);
      else if (x > 0) {
        const step = Math.max(Math.abs(r - data[i - 3]!), Math.abs(g - data[i - 2]!), Math.abs(b - data[i - 1]!));
        if (step <= screen.gentleStep) gentle++;
      }
      leftColour = colour;
      leftLuma = y8;
    }
  }
  const skyRows = rowsRead(0, skyEnd);
  const skyPixels = skyRows * width;
  const groundPixels = rowsRead(groundStart, height) * width;
  const flat = [...runs.values()]
    .sort((p, q) => q - p)
    .slice(0, screen.topColours)
    .reduce((sum, count) => sum + count, 0);
  let straying = 0;
  for (let band = 0; band < bands; band++) {
    if (bandPixels[band]) straying += bandSquares[band]! - (bandX[band]! ** 2 + bandY[band]! ** 2) / bandPixels[band]!;
  }
  return {
    pixels,
    medianLuma: median(histogram, pixels),
    darkShare: dark / pixels,
    litShare: lit / pixels,
    visibleShare: visible / pixels,
    greyShare: visible ? grey / visible : 0,
    vividShare: visible ? vivid / visible : 0,
    hueConcentration: hueLength === 0 ? 1 : Math.hypot(hueX, hueY) / hueLength,
    toneSpread: visible ? Math.sqrt(Math.max(0, straying) / visible) : 0,
    warmSkyShare: skyPixels ? skyWarm / skyPixels : 0,
    warmGroundShare: groundPixels ? groundWarm / groundPixels : 0,
    skyOverGround: skyPixels && groundPixels ? skyLuma / skyPixels - groundLuma / groundPixels : 0,
    skyTexture: skyRows * (width - 1) ? skyStep / (skyRows * (width - 1)) : 0,
    flatShare: flat / pixels,
    gentleShare: gentle / pixels,
  };
}

function median(histogram: Uint32Array, total: number): number {
  let seen = 0;
  for (let value = 0; value < histogram.length; value++) {
    seen += histogram[value]!;
    if (seen * 2 >= total) return value;
  }
  return histogram.length - 1;
}

/** The scene's exposure value at ISO 100 from EXIF; null without an exposure time. */
export function exposureValue(exif: SceneExif): number | null {
  if (exif.exposureTime === null) return null;
  const { assumedFNumber, assumedIso } = SCENE_THRESHOLDS.night;
  const f = exif.fNumber ?? assumedFNumber;
  return Math.log2((f * f) / exif.exposureTime) - Math.log2((exif.iso ?? assumedIso) / 100);
}

/**
 * Night: a dark scene (low median luma, mostly dark pixels, few lit ones: a few lights do not matter), or a long
 * exposure / high ISO that says the scene had little light. EXIF that says the scene was bright vetoes dark pixels
 * (a silhouette, a low-key studio shot); EXIF alone, with bright pixels, goes up to exposureWeight. The two
 * combine as independent evidence: 1 - (1 - pixels)(1 - exposure).
 */
export function nightScore(stats: PixelStats, exif: SceneExif): number {
  const rule = SCENE_THRESHOLDS.night;
  const darkPixels = Math.min(
    ramp(stats.medianLuma, rule.medianLuma),
    ramp(stats.darkShare, rule.darkShare),
    ramp(stats.litShare, rule.litShare),
  );
  const ev = exposureValue(exif);
  if (ev === null) return darkPixels;
  const pixels = darkPixels * (1 - ramp(ev, rule.brightExposure));
  const exposure = rule.exposureWeight * ramp(ev, rule.darkExposure);
  return 1 - (1 - pixels) * (1 - exposure);
}

/**
 * Sunset: the sky part of the frame (the upper rows) holds warm, saturated, bright colours, far more of them than
 * the ground, is brighter than the ground, and is smooth. Each is needed: a photo orange all over (a fox, warm
 * indoor light) is as warm below; a hot dog on a plate is no brighter above; fur and flowers are textured.
 */
export function sunsetScore(stats: PixelStats): number {
  const rule = SCENE_THRESHOLDS.sunset;
  return (
    ramp(stats.warmSkyShare, rule.warmSky) *
    ramp(stats.warmSkyShare - stats.warmGroundShare, rule.warmSkyOverGround) *
    ramp(stats.skyOverGround, rule.skyOverGround) *
    ramp(stats.skyTexture, rule.skyTexture)
  );
}

/**
 * Black & white: of the visible pixels, hardly one is vivid, and either nearly all have no colour, or the photo is
 * toned (sepia, cyanotype, selenium): one hue, the hues gathered within about 11 degrees, and one colour for each
 * brightness. A colour photo of one dominant hue (underwater, a sunset) is far more saturated than a toned print;
 * one of a muted hue (grass, brown stone) holds things of one brightness in different colours.
 */
export function blackAndWhiteScore(stats: PixelStats): number {
  const rule = SCENE_THRESHOLDS.blackAndWhite;
  const toned = ramp(stats.hueConcentration, rule.tintConcentration) * ramp(stats.toneSpread, rule.toneSpread);
  const tones = Math.max(ramp(stats.greyShare, rule.greyShare), toned);
  return ramp(stats.visibleShare, rule.visibleShare) * ramp(stats.vividShare, rule.vividShare) * tones;
}

/**
 * How much the full image's size looks like a screen's: an exact screen size, a tall phone's shape at a phone's size,
 * or neither.
 */
function screenSizeFit(width: number, height: number): number {
  const rule = SCENE_THRESHOLDS.screenshot;
  if (SCREEN_SIZES.has(sizeKey(width, height))) return rule.screenSizeFit;
  const [short, long] = [Math.min(width, height), Math.max(width, height)];
  return long / short >= rule.phoneRatio && short >= rule.phoneMinSide ? rule.phoneRatioFit : rule.otherSizeFit;
}

/**
 * Screenshot: no camera in EXIF (a camera's photo is never one), flat colours (a large share of the pixels in flat
 * runs of a few exact colours, which sensor noise never leaves in a photo) with sharp edges between them (few
 * gentle steps, which a photo's smooth surfaces are made of), scaled by how screen-like the original
 * size is (a window capture has any size) and whether it is a PNG.
 */
export function screenshotScore(stats: PixelStats, photo: ScenePhoto, exif: SceneExif): number {
  if (exif.camera !== null) return 0;
  const rule = SCENE_THRESHOLDS.screenshot;
  return (
    ramp(stats.flatShare, rule.flatShare) *
    ramp(stats.gentleShare, rule.gentleShare) *
    screenSizeFit(photo.originalWidth, photo.originalHeight) *
    (photo.format === 'png' ? rule.pngFit : rule.otherFormatFit)
  );
}

/** Every scene with its confidence, best first; one pass over the pixels. */
export function sceneScores(photo: ScenePhoto, exif: SceneExif): Score[] {
  const stats = measurePixels(photo);
  return [
    { ...SCENES.night, score: nightScore(stats, exif) },
    { ...SCENES.sunset, score: sunsetScore(stats) },
    { ...SCENES.blackAndWhite, score: blackAndWhiteScore(stats) },
    { ...SCENES.screenshot, score: screenshotScore(stats, photo, exif) },
  ].sort((a, b) => b.score - a.score);
}

/** A positive number from an EXIF value (exifr gives ISO as an array when a camera writes several). */
function positive(value: unknown): number | null {
  const number = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : null;
}

/** The exposure facts from what exifr read with EXPOSURE_TAGS picked. */
export function exposureOf(tags: Record<string, unknown> | undefined): Omit<SceneExif, 'camera'> {
  return {
    exposureTime: positive(tags?.ExposureTime),
    fNumber: positive(tags?.FNumber),
    iso: positive(tags?.ISO),
  };
}
