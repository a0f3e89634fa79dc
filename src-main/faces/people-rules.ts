import type { Face, Point } from './yunet.js';

/**
 * The People, Portrait and Group rules, all in this one file. They turn YuNet's faces into tags, and keep pets out:
 * YuNet also finds the faces of cats, dogs, owls and monkeys, and scores them up to about 0.9.
 *
 * A face counts as a person's when
 * - its landmarks sit like a person's, measured in the face's own axes (so a tilted head passes): the nose tip
 *   below the eyes and the mouth below the nose tip, the nose tip near the middle between the eyes (symmetry), the
 *   eyes `EYE_DISTANCE` box widths apart and the mouth `MOUTH_BELOW_EYES` box widths below them;
 * - and it scores at least `MIN_SCORE` when the classifier sees no animal, rising in a straight line to
 *   `MIN_SCORE_WITH_ANIMAL` when the animal categories ("Dog", "Cat", "Bird", "Mammal", ...) add up to
 *   `ANIMAL_CERTAIN` or more. The categories are the whole photo's, blended with those of a crop around the face
 *   (`faceCrop`, weighing `FACE_CROP_WEIGHT`) where the caller has them. On the whole photo the classifier only
 *   sees the cat someone holds, and a face then needs the 0.92 only the sharpest people's faces reach; on the
 *   face's crop it tells a cat's face (animal 0.94-1.0) from a person's (0-0.26, mostly "Clothing"). The photo
 *   keeps a say because a small crop of fur can read as anything ("Milk can").
 *
 * Then: "People" when at least one face is a person's; "Portrait" when one of them dominates the frame (its box
 * covers at least `PORTRAIT_MIN_AREA` of the photo, its centre lies in `PORTRAIT_CENTRE`, and every other person's
 * face is less than `PORTRAIT_DOMINANCE` of its area); "Group" for `GROUP_MIN_FACES` or more. Each tag carries the
 * number of people's faces ("People · 3").
 */
export const PEOPLE_RULES = {
  MIN_SCORE: 0.7,
  MIN_SCORE_WITH_ANIMAL: 0.92,
  ANIMAL_CERTAIN: 0.6,
  /** Category ids of the shared taxonomy (models/label-sets/categories.tsv) that are animals. */
  ANIMAL_CATEGORIES: ['amphibian', 'bird', 'cat', 'dog', 'fish', 'insect', 'mammal', 'reptile', 'sea-life'],
  /** The side of the square a face's crop covers, in the box's longer sides: the head and a little around it. */
  FACE_CROP_SCALE: 1.6,
  FACE_CROP_WEIGHT: 0.6,
  /** In box widths: about 0.45 for a face seen from the front, less when it turns away. */
  EYE_DISTANCE: { min: 0.1, max: 0.65 },
  /** How far the nose tip may lie from the point between the eyes, along them, in box widths (symmetry). */
  NOSE_OFF_CENTRE: 0.3,
  /** How far below the eyes the mouth lies, in box widths: 0.42-0.54 on people, 0.31-0.83 on animals. */
  MOUTH_BELOW_EYES: { min: 0.3, max: 0.65 },
  PORTRAIT_MIN_AREA: 0.03,
  PORTRAIT_CENTRE: { x: [0.15, 0.85], y: [0.05, 0.75] },
  PORTRAIT_DOMINANCE: 0.25,
  GROUP_MIN_FACES: 3,
} as const;

/** A category the primary classifier gave a photo or a crop of it, 0..1 ("dog", "clothing", ...). */
export interface CategoryScore {
  id: string;
  score: number;
}

export interface PeopleInput {
  faces: Face[];
  /** The photo's width over its height: faces are in fractions of each side, and geometry needs one unit. */
  aspect: number;
  /** The classifier's categories for the whole photo. */
  categories: CategoryScore[];
  /** Where given, the classifier's categories for `faceCrop` of the face at the same index. */
  faceCategories?: (CategoryScore[] | undefined)[];
}

export type PeopleTagId = 'people' | 'portrait' | 'group';

export interface PeopleTag {
  id: PeopleTagId;
  name: string;
  /** People: the best person's face score; Portrait: the dominant face's; Group: the weakest face that makes it. */
  score: number;
  /** How many people's faces the photo shows. */
  faceCount: number;
}

const NAMES: Record<PeopleTagId, string> = { people: 'People', portrait: 'Portrait', group: 'Group' };

/** How the UI and the CLI show a tag: its name and the number of faces ("People · 3"). */
export function withFaceCount(tag: PeopleTag): string {
  return `${tag.name} · ${tag.faceCount}`;
}

/** The score a face needs in a photo whose animal categories add up to `animal`. */
export function requiredScore(animal: number): number {
  const { MIN_SCORE, MIN_SCORE_WITH_ANIMAL, ANIMAL_CERTAIN } = PEOPLE_RULES;
  return MIN_SCORE + (MIN_SCORE_WITH_ANIMAL - MIN_SCORE) * Math.min(1, animal / ANIMAL_CERTAIN);
}

function animalScore(categories: CategoryScore[]): number {
  const animals: readonly string[] = PEOPLE_RULES.ANIMAL_CATEGORIES;
  return categories.filter((category) => animals.includes(category.id)).reduce((sum, c) => sum + c.score, 0);
}

const within = (value: number, range: { min: number; max: number }) => value >= range.min && value <= range.max;

/** Whether the five landmarks are laid out as on a person's face (see PEOPLE_RULES). */
export function humanGeometry(face: Face, aspect: number): boolean {
  // In box widths, with x scaled to units of the photo's height first so both axes share one unit.
  const width = face.box.w * aspect;
  if (!(width > 0)) return false;
  const at = (point: Point) => ({ x: (point.x * aspect) / width, y: point.y / width });
  const [rightEye, leftEye, nose, rightMouth, leftMouth] = face.landmarks.map(at) as [
    Point,
    Point,
    Point,
    Point,
    Point,
  ];
  const eyes = { x: leftEye.x - rightEye.x, y: leftEye.y - rightEye.y };
  const eyeDistance = Math.hypot(eyes.x, eyes.y);
  if (eyeDistance === 0) return false;
  // The face's own axes, from between the eyes, so a tilted head passes: along the eyes, and down at right angles.
  const centre = { x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 };
  const along = (p: Point) => ((p.x - centre.x) * eyes.x + (p.y - centre.y) * eyes.y) / eyeDistance;
  const down = (p: Point) => ((p.y - centre.y) * eyes.x - (p.x - centre.x) * eyes.y) / eyeDistance;
  const mouth = { x: (rightMouth.x + leftMouth.x) / 2, y: (rightMouth.y + leftMouth.y) / 2 };
  const { EYE_DISTANCE, NOSE_OFF_CENTRE, MOUTH_BELOW_EYES } = PEOPLE_RULES;
  return (
    down(nose) > 0 &&
    down(mouth) > down(nose) &&
    within(eyeDistance, EYE_DISTANCE) &&
    Math.abs(along(nose)) <= NOSE_OFF_CENTRE &&
    within(down(mouth), MOUTH_BELOW_EYES)
  );
}

/**
 * The indexes of the faces whose verdict depends on the categories: good geometry, a score between MIN_SCORE and
 * MIN_SCORE_WITH_ANIMAL. Only these are worth classifying a crop of.
 */
export function undecidedFaces({ faces, aspect }: Pick<PeopleInput, 'faces' | 'aspect'>): number[] {
  const { MIN_SCORE, MIN_SCORE_WITH_ANIMAL } = PEOPLE_RULES;
  return faces.flatMap((face, index) =>
    face.score >= MIN_SCORE && face.score < MIN_SCORE_WITH_ANIMAL && humanGeometry(face, aspect) ? [index] : [],
  );
}

/** The square of the photo (in pixels of a `width` x `height` decode) around a face that its categories come from. */
export function faceCrop(face: Face, width: number, height: number) {
  const side = Math.max(
    1,
    Math.min(
      width,
      height,
      Math.round(PEOPLE_RULES.FACE_CROP_SCALE * Math.max(face.box.w * width, face.box.h * height)),
    ),
  );
  const place = (centre: number, extent: number) => Math.max(0, Math.min(extent - side, Math.round(centre - side / 2)));
  return {
    left: place((face.box.x + face.box.w / 2) * width, width),
    top: place((face.box.y + face.box.h / 2) * height, height),
    width: side,
    height: side,
  };
}

/** The faces that are people's, best first. */
export function peopleFaces({ faces, aspect, categories, faceCategories = [] }: PeopleInput): Face[] {
  const photoAnimal = animalScore(categories);
  const weight = PEOPLE_RULES.FACE_CROP_WEIGHT;
  return faces
    .filter((face, index) => {
      const own = faceCategories[index];
      const needed = requiredScore(own ? weight * animalScore(own) + (1 - weight) * photoAnimal : photoAnimal);
      return face.score >= needed && humanGeometry(face, aspect);
    })
    .sort((a, b) => b.score - a.score);
}

/** The share of the photo a face's box covers, the part outside the frame left out. */
function areaInFrame({ box }: Face): number {
  const span = (start: number, size: number) => Math.max(0, Math.min(1, start + size) - Math.max(0, start));
  return span(box.x, box.w) * span(box.y, box.h);
}

function dominantFace(faces: Face[]): Face | undefined {
  const [largest, ...others] = [...faces].sort((a, b) => areaInFrame(b) - areaInFrame(a));
  if (!largest) return undefined;
  const area = areaInFrame(largest);
  const { x, y } = PEOPLE_RULES.PORTRAIT_CENTRE;
  const centre = { x: largest.box.x + largest.box.w / 2, y: largest.box.y + largest.box.h / 2 };
  const dominates =
    area >= PEOPLE_RULES.PORTRAIT_MIN_AREA &&
    centre.x >= x[0] &&
    centre.x <= x[1] &&
    centre.y >= y[0] &&
    centre.y <= y[1] &&
    others.every((face) => areaInFrame(face) < PEOPLE_RULES.PORTRAIT_DOMINANCE * area);
  return dominates ? largest : undefined;
}

/** People, Portrait and Group for one photo (see PEOPLE_RULES); none when no face is a person's. */
export function peopleTags(input: PeopleInput): PeopleTag[] {
  const people = peopleFaces(input);
  const best = people[0];
  if (!best) return [];
  const faceCount = people.length;
  const tag = (id: PeopleTagId, score: number): PeopleTag => ({ id, name: NAMES[id], score, faceCount });
  const tags = [tag('people', best.score)];
  const dominant = dominantFace(people);
  if (dominant) tags.push(tag('portrait', dominant.score));
  const weakestOfGroup = people[PEOPLE_RULES.GROUP_MIN_FACES - 1];
  if (weakestOfGroup) tags.push(tag('group', weakestOfGroup.score));
  return tags;
}
