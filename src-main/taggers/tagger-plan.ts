import type { FaceDetectorManifest } from '../models/manifest.js';
import { listFaceDetectors, listModels, type ModelDirs, type ModelEntry } from '../models/model-catalog.js';

/** A tagger as its results are stored: by id and version, so switching or adding one never mixes results. */
export interface TaggerRef {
  id: string;
  version: string;
}

/** The scene rules (src-main/scenes/scene-rules.ts): a tagger without a model. Bump the version when they change. */
export const SCENES_TAGGER: TaggerRef = { id: 'scenes', version: '1' };

/**
 * Every tagger a library runs: its model (the primary classifier) and the secondary taggers over the same pixels,
 * all of them the installed models of the catalog (a new tagger is a new folder under models/) and the scene rules.
 */
export interface TaggerPlan {
  primary: ModelEntry;
  /** Classifiers that name what the primary found in more detail (bird species), each when its manifest says. */
  specialists: ModelEntry[];
  faceDetector: ModelEntry<FaceDetectorManifest> | undefined;
  scenes: boolean;
}

export function taggerPlan(primary: ModelEntry, dirs: ModelDirs): TaggerPlan {
  return {
    primary,
    specialists: listModels(dirs).filter((entry) => entry.manifest.role === 'specialist' && entry.installed),
    faceDetector: listFaceDetectors(dirs).find((entry) => entry.installed),
    scenes: true,
  };
}

/** The library's model alone, without secondary taggers (the benchmark's baseline, tests of the model alone). */
export const classifierOnly = (primary: ModelEntry): TaggerPlan => ({
  primary,
  specialists: [],
  faceDetector: undefined,
  scenes: false,
});

/** The secondary taggers of a plan, by id and version, sorted. */
export function secondaryTaggers(plan: TaggerPlan): TaggerRef[] {
  const refs = [...plan.specialists, ...(plan.faceDetector ? [plan.faceDetector] : [])].map(({ manifest }) => ({
    id: manifest.id,
    version: manifest.version,
  }));
  if (plan.scenes) refs.push(SCENES_TAGGER);
  return refs.sort((a, b) => a.id.localeCompare(b.id));
}

/** A tagger's id and version in one word: "yunet-face@1". */
export const refKey = (ref: TaggerRef) => `${ref.id}@${ref.version}`;

/** How a photo records which secondary taggers' results it holds: "inat-bird@1,scenes@1,yunet-face@1". */
export const taggerSignature = (refs: TaggerRef[]) => refs.map(refKey).join(',');

/** The refs a stored signature names. */
export const parseSignature = (signature: string | null): TaggerRef[] =>
  (signature ?? '')
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const at = part.lastIndexOf('@');
      return { id: part.slice(0, at), version: part.slice(at + 1) };
    });
