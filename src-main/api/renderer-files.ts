import { readFile, stat } from 'node:fs/promises';
import { extname, normalize, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export type RendererFile =
  { status: 200; body: Buffer; contentType: string; immutable: boolean } | { status: 400 | 404; message: string };

/** Hashed assets never change under their name; the rest (index.html) is checked on every load. */
export const rendererCacheControl = (file: { immutable: boolean }) =>
  file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache';

/**
 * The built Svelte app's files, for the web server and the desktop window's app protocol: only files inside the
 * build folder, whatever the request path says.
 */
export async function readRendererFile(rendererDir: string, pathname: string): Promise<RendererFile> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { status: 400, message: 'Malformed path.' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400, message: 'Malformed path.' };
  const relative = decoded === '/' ? 'index.html' : normalize(decoded).replace(/^[/\\]+/, '');
  const root = resolve(rendererDir);
  const file = resolve(root, relative);
  if (!file.startsWith(root + sep)) return { status: 404, message: 'Not found.' };
  try {
    if (!(await stat(file)).isFile()) return { status: 404, message: 'Not found.' };
    return {
      status: 200,
      body: await readFile(file),
      contentType: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      immutable: relative.startsWith(`assets${sep}`),
    };
  } catch {
    return { status: 404, message: 'Not found.' };
  }
}
