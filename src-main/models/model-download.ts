import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorCode } from '../file-errors.js';
import type { ModelEntry } from './model-catalog.js';
import { readManifest } from './model-catalog.js';

export interface DownloadProgress {
  modelId: string;
  received: number;
  total: number;
}

export interface PullOptions {
  /** The per-user models folder to install into. */
  userDir: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Connection drops to recover from by resuming, within this one call. */
  retries?: number;
  /** A transfer that sends nothing for this long is dropped and resumed. */
  stallMs?: number;
}

/** Progress is reported at most this often, and at the end. */
const PROGRESS_INTERVAL_MS = 100;

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function sizeOf(file: string): Promise<number> {
  return existsSync(file) ? (await stat(file)).size : 0;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** The server said no: resuming cannot help. */
class RefusedError extends Error {}

/** The transfer sent nothing for `stallMs`. */
class StallError extends Error {}

/**
 * What went wrong on the way to `host`, as words: fetch only says "fetch failed", the cause (a DNS lookup, a refused
 * connection, no route, a timeout) is in its `cause`.
 */
function networkFailure(error: unknown, host: string): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = errorCode(cause);
  switch (code) {
    case 'ENOTFOUND':
      return `the DNS lookup of ${host} found no such host (offline, or a mistyped address?)`;
    case 'EAI_AGAIN':
      return `the DNS lookup of ${host} failed (is this machine offline?)`;
    case 'ECONNREFUSED':
      return `${host} refused the connection (nothing listens there)`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `there is no network route to ${host} (is this machine offline?)`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to ${host} timed out`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `the connection to ${host} was cut`;
    default:
      if (error instanceof StallError) return error.message;
      return `${(cause as Error).message ?? String(cause)}${code ? ` (${code})` : ''}, connecting to ${host}`;
  }
}

/** Appends the rest of the file to `partFile`, resuming from what an earlier attempt left there. */
async function transfer(url: string, partFile: string, total: number, options: PullOptions, modelId: string) {
  let received = await sizeOf(partFile);
  if (received >= total) return;
  const stall = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
  const stallMs = options.stallMs ?? 30_000;
  let timer = setTimeout(() => stall.abort(), stallMs);
  let reportTimer: NodeJS.Timeout | undefined;
  let out: WriteStream | undefined;
  try {
    const response = await fetch(url, { headers: received ? { Range: `bytes=${received}-` } : {}, signal });
    if (response.status === 416) return;
    if (!response.ok || !response.body) throw new RefusedError(`the server answered HTTP ${response.status} for ${url}`);
    // A server that ignores Range sends the whole file again: start over rather than append a second copy.
    if (response.status !== 206) received = 0;
    out = createWriteStream(partFile, { flags: received ? 'a' : 'w' });
    let lastReport = 0;
    const report = () => {
      clearTimeout(reportTimer);
      reportTimer = undefined;
      lastReport = Date.now();
      options.onProgress?.({ modelId, received, total });
    };
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(), stallMs);
      const since = Date.now() - lastReport;
      if (since > PROGRESS_INTERVAL_MS || received >= total) report();
      // The last chunks before the server pauses are reported too, not only those of the last report's moment.
      else reportTimer ??= setTimeout(report, PROGRESS_INTERVAL_MS - since);
    });
    await pipeline(body, out);
  } catch (error) {
    // However the stall's abort surfaced (from fetch or from the body), it was the server going quiet.
    if (stall.signal.aborted) throw new StallError(`${new URL(url).host} sent nothing for ${stallMs / 1000} s (timed out)`);
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(reportTimer);
    // A dropped transfer destroys the file stream while writes may be in flight: let them land before anyone
    // measures the part file to resume from it.
    if (out && !out.closed) await once(out, 'close');
  }
}

/**
 * Downloads a model described by a manifest into the per-user models folder: shows progress, resumes an
 * interrupted transfer (within this call and across calls), checks the size and sha256, and installs atomically,
 * so a failed or corrupt download never leaves a model folder behind.
 */
export async function pullModel(entry: ModelEntry, options: PullOptions): Promise<ModelEntry> {
  const { manifest } = entry;
  if (!manifest.download) {
    throw new Error(`The model "${manifest.id}" ships with Phototag; there is nothing to download.`);
  }
  const downloads = join(options.userDir, '.downloads');
  await mkdir(downloads, { recursive: true });
  const partFile = join(downloads, `${manifest.id}-${manifest.sha256.slice(0, 16)}.part`);
  if ((await sizeOf(partFile)) > manifest.size) await rm(partFile);

  const retries = options.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      await transfer(manifest.download.url, partFile, manifest.size, options, manifest.id);
      break;
    } catch (error) {
      if (error instanceof RefusedError) throw new Error(`Cannot download ${manifest.id}: ${error.message}.`);
      if (options.signal?.aborted || attempt >= retries) {
        const have = await sizeOf(partFile);
        const why = networkFailure(error, new URL(manifest.download.url).host);
        if (have === 0) throw new Error(`Cannot download ${manifest.id}: ${why}.`, { cause: error });
        throw new Error(
          `The download of ${manifest.id} was interrupted at ${megabytes(have)} of ${megabytes(manifest.size)} ` +
            `(${why}). Run the same command again to resume.`,
          { cause: error },
        );
      }
    }
  }

  const size = await sizeOf(partFile);
  const digest = size === manifest.size ? await sha256Of(partFile) : undefined;
  if (digest !== manifest.sha256) {
    await rm(partFile, { force: true });
    const got = digest ? `its sha256 is ${digest}` : `it has ${size} bytes`;
    throw new Error(
      `The download of ${manifest.id} is corrupt: ${got}, expected ${digest ? manifest.sha256 : manifest.size + ' bytes'}. ` +
        'Nothing was installed; run the command again to download it afresh.',
    );
  }

  const target = join(options.userDir, manifest.id);
  const staging = join(options.userDir, `.staging-${manifest.id}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  await rename(partFile, join(staging, manifest.file));
  const previous = `${target}.old-${process.pid}`;
  if (existsSync(target)) await rename(target, previous);
  await rename(staging, target);
  await rm(previous, { recursive: true, force: true });
  return { manifest: readManifest(target), dir: target, modelPath: join(target, manifest.file), installed: true, embedded: false };
}
