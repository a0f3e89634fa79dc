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

/** Where the Vulkan loader looks for the drivers (ICD manifests) GPU vendors install, as the loader's docs list. */
function vulkanDriverDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  return ['/etc', ...dataDirs].map((dir) => join(dir, 'vulkan', 'icd.d'));
}

export interface VulkanPlaces {
  loaderDirs: string[];
  driverDirs: string[];
  /** VK_DRIVER_FILES or VK_ICD_FILENAMES: drivers named directly, wherever they are. */
  namedDrivers?: string;
}

const hasManifest = (dir: string) => existsSync(dir) && readdirSync(dir).some((name) => name.endsWith('.json'));

/**
 * Why Vulkan offers no GPU here, or undefined when its loader and a driver are installed. The loader alone is not
 * enough: without a vendor's driver registered with it, it finds no GPU either.
 */
export function missingVulkan(
  places: VulkanPlaces = {
    loaderDirs: VULKAN_LOADER_DIRS,
    driverDirs: vulkanDriverDirs(),
    namedDrivers: process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES,
  },
): string | undefined {
  if (!places.loaderDirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))) {
    return 'no Vulkan driver (the Vulkan loader, libvulkan.so.1, is not installed)';
  }
  if (!places.namedDrivers && !places.driverDirs.some(hasManifest)) {
    return `no Vulkan driver (no GPU driver is registered in ${places.driverDirs.join(', ')})`;
  }
  return undefined;
}

/** Why a provider cannot even be tried here, or undefined when it can. */
function unavailableReason(name: string): string | undefined {
  const backend = ort.listSupportedBackends().find((candidate) => candidate.name === name);
  if (!backend) return `not built into onnxruntime-node for ${process.platform}/${process.arch}`;
  // On Linux, WebGPU runs over Vulkan: without a Vulkan driver the attempt can only fail, noisily.
  if (name === 'webgpu' && process.platform === 'linux') {
    const vulkan = missingVulkan();
    if (vulkan) return `${vulkan}, and WebGPU runs over Vulkan on Linux`;
  }
  if (!backend.bundled && !providerLibraryPresent(name)) {
    return 'its libraries are not installed (see the README: ONNXRUNTIME_NODE_INSTALL=cuda12)';
  }
  return undefined;
}

export interface ProviderState {
  name: string;
  state: 'in use' | 'available' | 'not usable here' | 'failed';
  /** Why it is not usable here, or why it failed when tried. */
  reason?: string;
}

/**
 * Every provider onnxruntime-node has for this platform, as a session's attempts left them: the one in use, those
 * that could not be tried here or failed when tried, and those it did not come to (available). The same rule
 * decides what a session tries, so a report never offers a provider the session would pass over.
 */
export function providerStates(report: ProviderReport): ProviderState[] {
  const names = [
    ...new Set([...report.attempts.map((a) => a.name), ...ort.listSupportedBackends().map((b) => b.name)]),
  ];
  return names.map((name): ProviderState => {
    if (name === report.used) return { name, state: 'in use' };
    const reason = unavailableReason(name);
    if (reason) return { name, state: 'not usable here', reason };
    const failed = report.attempts.find((attempt) => attempt.name === name)?.reason;
    return failed ? { name, state: 'failed', reason: failed } : { name, state: 'available' };
  });
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
