import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from './onnxruntime.js';

export interface ProviderAttempt {
  name: string;
  /** Why it was not used; absent for the one in use. */
  reason?: string;
}

export interface ProviderReport {
  /** The execution provider the session runs on. */
  used: string;
  /** Every provider tried, in order, with the reason each one before `used` was passed over. */
  attempts: ProviderAttempt[];
}

/** GPU providers worth trying on this platform, best first; CPU always ends the list. */
export function platformPreference(platform = process.platform): string[] {
  switch (platform) {
    case 'win32':
      return ['dml', 'webgpu', 'cpu'];
    case 'darwin':
      return ['coreml', 'webgpu', 'cpu'];
    default:
      return ['tensorrt', 'cuda', 'webgpu', 'cpu'];
  }
}

function providerLibraryPresent(name: string): boolean {
  // CUDA and TensorRT are not bundled with onnxruntime-node: they exist only after the opt-in install.
  const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  const binDir = join(binding, '..', 'bin');
  const wanted = `onnxruntime_providers_${name}`;
  const walk = (dir: string): boolean =>
    existsSync(dir) &&
    readdirSync(dir, { withFileTypes: true }).some((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.includes(wanted),
    );
  return walk(binDir);
}

const VULKAN_LOADER_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib64',
];

/** Why a provider cannot even be tried here, or undefined when it can. */
function unavailableReason(name: string): string | undefined {
  const backend = ort.listSupportedBackends().find((candidate) => candidate.name === name);
  if (!backend) return `not built into onnxruntime-node for ${process.platform}/${process.arch}`;
  // On Linux, WebGPU runs over Vulkan: without its loader the attempt can only fail, noisily.
  if (name === 'webgpu' && process.platform === 'linux') {
    if (!VULKAN_LOADER_DIRS.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))) {
      return 'no Vulkan loader (libvulkan.so.1) is installed, so there is no GPU adapter for WebGPU';
    }
  }
  if (!backend.bundled && !providerLibraryPresent(name)) {
    return 'its libraries are not installed (see the README: ONNXRUNTIME_NODE_INSTALL=cuda12)';
  }
  return undefined;
}

export interface SessionOptions {
  /** Providers to try in order; defaults to the platform's preference. */
  providers?: string[];
  /** Threads for one inference; set explicitly so decoding keeps its own core. */
  threads: number;
}

/**
 * Creates a session on the first provider that works, falling back towards CPU, and records why each provider
 * before it was passed over.
 */
export async function createSession(
  modelPath: string,
  options: SessionOptions,
): Promise<{ session: ort.InferenceSession; report: ProviderReport }> {
  const attempts: ProviderAttempt[] = [];
  const providers = options.providers ?? platformPreference();
  for (const name of providers) {
    const reason = unavailableReason(name);
    if (reason) {
      attempts.push({ name, reason });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [name],
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      attempts.push({ name });
      return { session, report: { used: name, attempts } };
    } catch (error) {
      // onnxruntime prefixes its messages with a source location; the sentence after it is the reason.
      const message = (error as Error).message.split('\n')[0]!;
      attempts.push({ name, reason: message.split(' was false. ').at(-1)!.slice(0, 300) });
    }
  }
  const tried = attempts.map((attempt) => `${attempt.name} (${attempt.reason})`).join('; ');
  throw new Error(`Cannot load the model ${modelPath} on any execution provider: ${tried}`);
}
