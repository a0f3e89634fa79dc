import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedModelsDir, userModelsDir } from '../app-paths.js';
import { loadLabelSet } from './label-sets.js';
import { manifestSchema, type AnyManifest, type FaceDetectorManifest, type ModelManifest } from './manifest.js';

/** A model folder; a classifier's unless typed otherwise. */
export interface ModelEntry<M extends AnyManifest = ModelManifest> {
  manifest: M;
  /** Folder holding manifest.json (and model.onnx once installed). */
  dir: string;
  modelPath: string;
  installed: boolean;
  /** Shipped inside the app rather than downloaded into the per-user models folder. */
  embedded: boolean;
}

export interface ModelDirs {
  embedded: string;
  user: string;
}

export function defaultModelDirs(env: NodeJS.ProcessEnv = process.env): ModelDirs {
  return { embedded: embeddedModelsDir(env), user: userModelsDir(env) };
}

/** Any model folder's manifest, checked against its task's schema. */
function readAnyManifest(dir: string): AnyManifest {
  const file = join(dir, 'manifest.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the model manifest ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`The model manifest ${file} is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** A classifier's manifest (the library's model or a specialist); another task is an error. */
export function readManifest(dir: string): ModelManifest {
  const manifest = readAnyManifest(dir);
  if (manifest.task !== 'classify') {
    throw new Error(`The model in ${dir} is a ${manifest.task} model, not an image classifier.`);
  }
  return manifest;
}

function entriesIn(root: string, embedded: boolean): ModelEntry<AnyManifest>[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && existsSync(join(root, dirent.name, 'manifest.json')))
    .map((dirent) => {
      const dir = join(root, dirent.name);
      const manifest = readAnyManifest(dir);
      const modelPath = join(dir, manifest.file);
      return { manifest, dir, modelPath, installed: existsSync(modelPath), embedded };
    });
}

/**
 * Every model Phototag knows: those shipped in the app (installed, or only described for download) and those
 * installed in the per-user folder. An installed download replaces the shipped description of the same id.
 */
function listEntries(dirs: ModelDirs): ModelEntry<AnyManifest>[] {
  const byId = new Map<string, ModelEntry<AnyManifest>>();
  for (const entry of entriesIn(dirs.embedded, true)) byId.set(entry.manifest.id, entry);
  for (const entry of entriesIn(dirs.user, false)) {
    if (entry.installed || !byId.has(entry.manifest.id)) byId.set(entry.manifest.id, entry);
  }
  return [...byId.values()].sort((a, b) => a.manifest.id.localeCompare(b.manifest.id));
}

/** The classifiers Phototag knows (the library's models and the specialists). */
export function listModels(dirs: ModelDirs = defaultModelDirs()): ModelEntry[] {
  return listEntries(dirs).filter((entry): entry is ModelEntry => entry.manifest.task === 'classify');
}

/** The face detectors Phototag knows. */
export function listFaceDetectors(dirs: ModelDirs = defaultModelDirs()): ModelEntry<FaceDetectorManifest>[] {
  return listEntries(dirs).filter(
    (entry): entry is ModelEntry<FaceDetectorManifest> => entry.manifest.task === 'detect-faces',
  );
}

/** The models a library can tag with; specialists only add detail to what one of these finds. */
export function primaryModels(models: ModelEntry[]): ModelEntry[] {
  return models.filter((model) => model.manifest.role === 'primary');
}

export function findModel(models: ModelEntry[], id: string): ModelEntry {
  const entry = models.find((model) => model.manifest.id === id);
  if (!entry) {
    throw new Error(`Unknown model "${id}". Known models: ${models.map((model) => model.manifest.id).join(', ')}.`);
  }
  return entry;
}

/**
 * The model to tag with: `preferredId` when given (it must be an installed primary model), else the installed
 * primary model with the highest default priority (a downloaded ImageNet ResNet before the embedded MobileNetV2).
 * Specialists never are.
 */
export function chooseModel(models: ModelEntry[], preferredId?: string): ModelEntry {
  const primaries = primaryModels(models);
  if (preferredId) {
    const entry = findModel(models, preferredId);
    if (!primaries.includes(entry)) {
      throw new Error(
        `The model "${preferredId}" is a specialist: it only adds detail to what a primary model finds, so it ` +
          `cannot be the model a library tags with. Primary models: ${primaries.map((m) => m.manifest.id).join(', ')}.`,
      );
    }
    if (!entry.installed) {
      throw new Error(`The model "${preferredId}" is not installed yet. Download it with: phototag models pull ${preferredId}`);
    }
    return entry;
  }
  const installed = primaries.filter((model) => model.installed);
  const best = installed.sort((a, b) => b.manifest.defaultPriority - a.manifest.defaultPriority)[0];
  if (!best) throw new Error('No model is installed: the app folder is missing its embedded models.');
  return best;
}

/**
 * A demonstration model's mark, the same in every listing (the CLI's and the app's): "Demo: knows 10 classes at
 * 32x32", from its label set (under the embedded models folder) and its input size. Null for a model meant to tag
 * photos.
 */
export function demoMark(entry: ModelEntry, embeddedDir: string): string | null {
  const { demo, labelSet, input } = entry.manifest;
  if (!demo) return null;
  const classes = loadLabelSet(embeddedDir, labelSet).labels.length;
  return `Demo: knows ${classes} classes at ${input.width}x${input.height}`;
}

/**
 * The rule for demonstration models: a library is switched to one only when the user agreed (the CLI asks or takes
 * --yes, the app asks in a dialog), as it calls every photo one of its few classes.
 */
export function checkDemoAgreed(entry: ModelEntry, agreed: boolean): void {
  const { demo, id } = entry.manifest;
  if (demo && !agreed) throw new Error(`${demo} Agree to it first to tag this library with ${id} all the same.`);
}
