/**
 * What the desktop window's two protocols answer, as plain `(Request) => Promise<Response>` functions: main.ts hands
 * them to Electron's `protocol.handle`, and the tests call them with Node's own Request. Nothing here imports
 * electron.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { appContentSecurityPolicy } from '../api/content-security-policy.js';
import { MEDIA_PROTOCOL } from '../api/contract.js';
import { MediaError, type MediaService } from '../api/media-service.js';
import { readRendererFile, rendererCacheControl } from '../api/renderer-files.js';

/** The app itself is served from this origin, so 'self' in its CSP means exactly the app. */
export const APP_PROTOCOL = 'phototag-app';
export const APP_URL = `${APP_PROTOCOL}://app/index.html`;
const CSP = appContentSecurityPolicy([`${MEDIA_PROTOCOL}:`]);

export type ProtocolHandler = (request: Request) => Promise<Response>;

/** Whether a frame at this URL is the app's own page, the only one that may call the engine over IPC. */
export function isAppFrame(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_PROTOCOL}:` && parsed.host === 'app';
  } catch {
    return false;
  }
}

/** The built Svelte app, from rendererDir only, with its CSP. */
export function appProtocolHandler(rendererDir: string): ProtocolHandler {
  return async (request) => {
    const url = new URL(request.url);
    const file = url.host === 'app' ? await readRendererFile(rendererDir, url.pathname) : undefined;
    if (!file || file.status !== 200)
      return new Response(file?.message ?? 'Not found.', { status: file?.status ?? 404 });
    return new Response(new Uint8Array(file.body), {
      headers: {
        'Content-Type': file.contentType,
        'Content-Security-Policy': CSP,
        'Cache-Control': rendererCacheControl(file),
        'X-Content-Type-Options': 'nosniff',
      },
    });
  };
}

/** Thumbnails and photos by id (`phototag-media://media/thumb/42?v=...`), only those the library knows. */
export function mediaProtocolHandler(media: MediaService): ProtocolHandler {
  return async (request) => {
    const url = new URL(request.url);
    try {
      if (url.host !== 'media') throw new MediaError(404, 'Not found.');
      const item = await media.resolve(url.pathname.slice(1), url.searchParams.get('v'));
      const body =
        'file' in item
          ? (Readable.toWeb(createReadStream(item.file)) as ReadableStream<Uint8Array>)
          : new Uint8Array(item.body);
      return new Response(body, {
        headers: {
          'Content-Type': item.contentType,
          'Cache-Control': item.cacheControl,
          ETag: item.etag,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch (error) {
      const status = error instanceof MediaError ? error.status : 500;
      return new Response(error instanceof MediaError ? error.message : 'The photo cannot be shown.', { status });
    }
  };
}
