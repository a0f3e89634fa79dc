import * as ort from './onnxruntime.js';
import { loadLabelSet, type LabelSet } from '../models/label-sets.js';
import type { ModelEntry } from '../models/model-catalog.js';
import type { ModelManifest } from '../models/manifest.js';
import { createSession, type ProviderReport, type SessionOptions } from './execution-providers.js';
import { scoreBatch, type Classification } from './scoring.js';

export interface ClassifierInfo {
  modelId: string;
  modelVersion: string;
  modelName: string;
  provider: ProviderReport;
  threads: number;
  /** The most photos one run takes: 1 for models exported with a fixed batch size. */
  maxBatch: number;
}

/** What the pipeline needs from a classifier, whether it runs here or in a worker thread. */
export interface ImageClassifier {
  readonly info: ClassifierInfo;
  /** One model input per photo (see imaging/decode toModelInput), one result per photo, in order. */
  classify(inputs: Float32Array[]): Promise<Classification[]>;
  dispose(): Promise<void>;
}

export interface ClassifierOptions extends Partial<SessionOptions> {
  /** The models folder holding label-sets/. */
  modelsDir: string;
}

/** The tensor name the manifest gives, or the model's only one when the manifest leaves it out. */
function resolveName(modelId: string, kind: string, wanted: string | undefined, names: readonly string[]): string {
  if (wanted ? names.includes(wanted) : names.length === 1) return wanted ?? names[0]!;
  const found = `the model has ${kind}s ${names.map((name) => `"${name}"`).join(', ')}`;
  throw new Error(
    `Model ${modelId}: ${wanted ? `the manifest names ${kind} "${wanted}", but ${found}` : `${found}; the manifest must name one`}.`,
  );
}

/** Loads `entry` with onnxruntime-node. Inference blocks the calling thread: UIs use TaggerWorker instead. */
export class Classifier implements ImageClassifier {
  private constructor(
    readonly info: ClassifierInfo,
    private readonly session: ort.InferenceSession,
    private readonly manifest: ModelManifest,
    private readonly labelSet: LabelSet,
    private readonly inputName: string,
    private readonly outputName: string,
  ) {}

  static async load(entry: ModelEntry, options: ClassifierOptions): Promise<Classifier> {
    const { manifest } = entry;
    const labelSet = loadLabelSet(options.modelsDir, manifest.labelSet);
    const threads = options.threads ?? 1;
    const { session, report } = await createSession(entry.modelPath, { threads, providers: options.providers });
    const inputName = resolveName(manifest.id, 'input', manifest.input.name, session.inputNames);
    const outputName = resolveName(manifest.id, 'output', manifest.output.name, session.outputNames);
    if (manifest.output.features) resolveName(manifest.id, 'output', manifest.output.features, session.outputNames);
    const batchDim = session.inputMetadata.find((input) => input.name === inputName);
    const fixedBatch = batchDim?.isTensor && typeof batchDim.shape[0] === 'number' ? batchDim.shape[0] : undefined;
    const info: ClassifierInfo = {
      modelId: manifest.id,
      modelVersion: manifest.version,
      modelName: manifest.name,
      provider: report,
      threads,
      maxBatch: fixedBatch ?? Number.MAX_SAFE_INTEGER,
    };
    return new Classifier(info, session, manifest, labelSet, inputName, outputName);
  }

  private inputShape(batch: number): number[] {
    const { width, height, layout } = this.manifest.input;
    return layout === 'NCHW' ? [batch, 3, height, width] : [batch, height, width, 3];
  }

  async classify(inputs: Float32Array[]): Promise<Classification[]> {
    const results: Classification[] = [];
    for (let start = 0; start < inputs.length; start += this.info.maxBatch) {
      results.push(...(await this.runBatch(inputs.slice(start, start + this.info.maxBatch))));
    }
    return results;
  }

  private async runBatch(inputs: Float32Array[]): Promise<Classification[]> {
    const size = inputs[0]?.length ?? 0;
    const data = new Float32Array(size * inputs.length);
    inputs.forEach((input, i) => data.set(input, i * size));
    const { output } = this.manifest;
    const fetches = [this.outputName, ...(output.features ? [output.features] : [])];
    const results = await this.session.run(
      { [this.inputName]: new ort.Tensor('float32', data, this.inputShape(inputs.length)) },
      fetches,
    );
    const scores = scoreBatch(results[this.outputName]!.data as Float32Array, inputs.length, output, this.labelSet);
    const features = output.features ? (results[output.features]!.data as Float32Array) : undefined;
    const width = features ? features.length / inputs.length : 0;
    return scores.map((score, i) => ({ ...score, features: features?.slice(i * width, (i + 1) * width) }));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
