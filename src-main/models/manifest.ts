import { z } from 'zod';

/**
 * One manifest per model folder: what the model does (its task), when it runs, and everything needed to feed the
 * network and read its answer. Preprocessing lives here, not in code, so a new ONNX classifier is a new folder.
 */
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

const resizeSchema = z.discriminatedUnion('policy', [
  // Resize so the shorter side is `shorterSide`, then cut the centre `width` x `height` (ImageNet evaluation style).
  z.object({ policy: z.literal('shorter-side-center-crop'), shorterSide: z.number().int().positive() }),
  // Squash the whole image to `width` x `height`, ignoring aspect ratio.
  z.object({ policy: z.literal('stretch') }),
]);

/** What every model folder says, whatever the model does. */
const modelFields = {
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lowercase letters, digits, dots and dashes'),
  name: z.string().min(1),
  version: z.string().min(1),
  architecture: z.string().min(1),
  file: z.string().min(1),
  size: z.number().int().positive(),
  sha256,
  /** Where users' machines fetch the weights; absent for models embedded in the app. */
  download: z.object({ url: z.url() }).optional(),
  license: z.object({ name: z.string().min(1), attribution: z.string().min(1) }),
  source: z.string().min(1),
  /**
   * Set on a demonstration model, saying what little it knows: it shows how a model plugs in, not how to tag photos,
   * so every listing marks it and a library is switched to it only after asking.
   */
  demo: z.string().min(1).optional(),
};

/** A tagger that runs only on photos the library's model finds to be of a category ("bird" at 0.5 or more). */
const runsWhenSchema = z.object({ category: z.string().min(1), minScore: z.number().min(0).max(1) });

/** An image classifier: the library's model ("primary"), or a specialist naming what it found in detail. */
export const classifierManifestSchema = z.object({
  ...modelFields,
  task: z.literal('classify'),
  labelSet: z.string().min(1),
  input: z.object({
    /** Omitted: the model's only input. */
    name: z.string().min(1).optional(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    layout: z.enum(['NCHW', 'NHWC']),
    colorOrder: z.enum(['RGB', 'BGR']),
    resize: resizeSchema,
    /** Each 0..255 channel value is multiplied by `scale`, then normalised as (x - mean) / std. */
    scale: z.number().positive(),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  }),
  output: z.object({
    /** Omitted: the model's only output. */
    name: z.string().min(1).optional(),
    kind: z.enum(['logits', 'probabilities']),
    /**
     * Where the model has a "background" output that is not a label: "first" (index 0, before the label set, as in
     * the TFLite ImageNet models), "last" (after it, as in the iNaturalist species models) or false. `true` is the
     * older spelling of "first".
     */
    backgroundClass: z
      .union([z.enum(['first', 'last']), z.boolean()])
      .transform((value) => (value === true ? 'first' : value)),
    /** Output holding the pooled feature vector, the input of the final classifier layer. */
    features: z.string().min(1).optional(),
  }),
  /** The installed model with the highest priority is the default; downloads outrank the embedded fallback. */
  defaultPriority: z.number().int().default(0),
  /**
   * "primary": a classifier a library can tag with. "specialist": names what a primary model found in more detail
   * (bird species on a bird photo), so it is never the library's model.
   */
  role: z.enum(['primary', 'specialist']).default('primary'),
  /** Specialists only: absent, a specialist runs on every photo. */
  runsWhen: runsWhenSchema.optional(),
});

/** A face detector: boxes, landmarks and scores, decoded by the code for its output format. */
export const faceDetectorManifestSchema = z.object({
  ...modelFields,
  task: z.literal('detect-faces'),
  /** How its outputs are decoded: "yunet" (src-main/faces/yunet.ts). */
  format: z.literal('yunet'),
  input: z.object({
    /** The longer side the photo is letterboxed to (kept in proportion, padded to a multiple of 32). */
    size: z.number().int().positive().multipleOf(32),
  }),
  /** Faces scoring lower are dropped. */
  minScore: z.number().min(0).max(1),
});

/** Every manifest; one that names no task is a classifier (the manifests from before there were other tasks). */
export const manifestSchema = z.preprocess(
  (json) => (json && typeof json === 'object' && !('task' in json) ? { ...json, task: 'classify' } : json),
  z.discriminatedUnion('task', [classifierManifestSchema, faceDetectorManifestSchema]),
);

/** A classifier's manifest: the library's model or a specialist. */
export type ModelManifest = z.infer<typeof classifierManifestSchema>;
export type FaceDetectorManifest = z.infer<typeof faceDetectorManifestSchema>;
export type AnyManifest = ModelManifest | FaceDetectorManifest;
