import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ApiService } from '../api/api-service.js';
import { HTTP_STATUS, isApiMethod, WEB_MEDIA_ROOT, type ApiErrorCode } from '../api/contract.js';
import { MediaError, MediaService, type Media } from '../api/media-service.js';
import { packageRoot } from '../app-paths.js';
import type { Library } from '../library/library.js';
import { appContentSecurityPolicy } from '../api/content-security-policy.js';
import { readRendererFile, rendererCacheControl } from '../api/renderer-files.js';

export const DEFAULT_PORT = 8417;
const MAX_BODY_BYTES = 64 * 1024;
const HEARTBEAT_MS = 20_000;

export interface WebServerOptions {
  library: Library;
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The built Svelte app (dist/renderer). */
  rendererDir?: string;
  /** Start watching and tagging in the background (the default); tests of the transport alone turn it off. */
  startEngine?: boolean;
}

export interface WebServer {
  /** What to open in a browser: it carries ?token=. */
  url: string;
  /** Every request needs it: as ?token= once (it becomes a cookie), or an `Authorization: Bearer` header. */
  token: string;
  port: number;
  service: ApiService;
  close(): Promise<void>;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;
export const isLoopback = (host: string) => LOOPBACK.test(host);

/**
 * The cookie the token link leaves. Cookies ignore ports: its name carries the port so that two servers on one host
 * keep their own, and every other service on this host that the browser visits receives it as well. On loopback it
 * is a __Host- cookie, Secure and without Domain (Chromium keeps Secure cookies on http://127.0.0.1 and localhost,
 * which it counts as secure); beyond loopback, over plain http, a browser would drop a Secure cookie.
 */
const tokenCookie = (loopback: boolean, port: number) =>
  loopback
    ? { name: `__Host-phototag_token_${port}`, attributes: 'Secure; HttpOnly; SameSite=Strict; Path=/' }
    : { name: `phototag_token_${port}`, attributes: 'HttpOnly; SameSite=Strict; Path=/' };

/** RFC 7235: the scheme is case-insensitive. */
const BEARER = /^bearer +(\S+) *$/i;

/**
 * Where the token link goes once the token is in a cookie: the same path on this origin. The path has had its dot
 * segments resolved and backslashes turned into slashes (WHATWG URL), so collapsing its leading slashes leaves
 * nothing a browser could read as another host ("//evil.example/").
 */
const sameOriginLocation = (url: URL) => `/${url.pathname.replace(/^\/+/, '')}${url.search}`;

/** The app's own policy: nothing inline, nothing from elsewhere, never framed. */
const APP_CSP = appContentSecurityPolicy();
/** Media and errors never run anything, even if a browser were talked into rendering them as a page. */
const INERT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ApiErrorCode = 'bad-request',
  ) {
    super(message);
  }
}

/**
 * Phototag's web mode over plain node:http: the built Svelte app, the API (POST /api/<method>, JSON), its events
 * (server-sent events at /api/events), and thumbnails and photos by id (/media/thumb/<id>, /media/photo/<id>),
 * served only for photos the library knows. Loopback only unless told otherwise, and only with the token it makes.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { library } = options;
  const host = options.host ?? '127.0.0.1';
  const rendererDir = resolve(options.rendererDir ?? join(packageRoot(), 'dist', 'renderer'));
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`The web interface is not built (${rendererDir} has no index.html); run "npm run build" first.`);
  }
  // Loopback too: every local user of a shared machine can reach a loopback port, and through it every file the
  // server's user can read.
  const token = randomBytes(32).toString('base64url');
  const loopback = isLoopback(host);
  const service = new ApiService(library);
  const media = new MediaService(library);
  const streams = new Set<ServerResponse>();
  let port = 0;
  const cookie = () => tokenCookie(loopback, port);

  const send = (
    response: ServerResponse,
    status: number,
    body: string | Buffer,
    headers: Record<string, string | number> = {},
  ) => {
    response.writeHead(status, {
      ...COMMON_HEADERS,
      'Content-Security-Policy': INERT_CSP,
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
      ...headers,
    });
    response.end(body);
  };
  const sendJson = (response: ServerResponse, status: number, value: unknown) =>
    send(response, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8' });
  const sendError = (response: ServerResponse, status: number, code: ApiErrorCode, message: string) =>
    sendJson(response, status, { error: { code, message } });

  const presentedToken = (request: IncomingMessage, url: URL): string | undefined => {
    const bearer = BEARER.exec(request.headers.authorization ?? '');
    if (bearer) return bearer[1];
    const fromQuery = url.searchParams.get('token');
    if (fromQuery) return fromQuery;
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === cookie().name) return value.join('=');
    }
    return undefined;
  };
  const tokenMatches = (presented: string | undefined) => {
    if (presented === undefined) return false;
    const a = Buffer.from(presented);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  /** Refuses what a page on another site could make the browser send (CSRF, DNS rebinding, hotlinking). */
  const checkOrigin = (request: IncomingMessage) => {
    if (loopback) {
      // The Host must name this machine, so a rebound DNS name cannot reach the API.
      const hostHeader = (request.headers.host ?? '').toLowerCase();
      const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host.toLowerCase()}:${port}`];
      if (!allowed.includes(hostHeader)) throw new HttpError(403, 'This server answers only to its loopback address.');
    }
    const site = request.headers['sec-fetch-site'];
    const navigation = request.headers['sec-fetch-mode'] === 'navigate' && request.method === 'GET';
    if ((site === 'cross-site' || site === 'same-site') && !navigation) {
      throw new HttpError(403, 'Requests from other sites are refused.');
    }
    const origin = request.headers.origin;
    if (origin !== undefined && request.method !== 'GET' && origin !== `http://${request.headers.host}`) {
      throw new HttpError(403, 'Requests from other origins are refused.');
    }
  };

  const readBody = async (request: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  const handleApi = async (request: IncomingMessage, response: ServerResponse, method: string) => {
    if (request.method !== 'POST') {
      return send(response, 405, 'Use POST for API calls.\n', { Allow: 'POST', 'Content-Type': 'text/plain' });
    }
    if (!isApiMethod(method)) {
      return sendError(response, 400, 'bad-request', `Unknown API method "${method.slice(0, 100)}".`);
    }
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      return sendError(response, 415, 'bad-request', 'Send API requests as JSON (Content-Type: application/json).');
    }
    const body = await readBody(request);
    let args: unknown = {};
    if (body.trim()) {
      try {
        args = JSON.parse(body);
      } catch (error) {
        return sendError(
          response,
          400,
          'bad-request',
          `The request body is not valid JSON: ${(error as Error).message}`,
        );
      }
    }
    const answer = await service.dispatch(method, args);
    sendJson(response, 'error' in answer ? HTTP_STATUS[answer.error.code] : 200, answer);
  };

  const handleEvents = (request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, {
      ...COMMON_HEADERS,
      'Content-Security-Policy': INERT_CSP,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    response.write('retry: 2000\n\n');
    streams.add(response);
    const stop = service.onEvent((event) => response.write(`data: ${JSON.stringify(event)}\n\n`));
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS);
    request.on('close', () => {
      clearInterval(heartbeat);
      stop();
      streams.delete(response);
    });
  };

  const handleMedia = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    let item: Media;
    try {
      item = await media.resolve(url.pathname.slice(`${WEB_MEDIA_ROOT}/`.length), url.searchParams.get('v'));
    } catch (error) {
      if (error instanceof MediaError) throw new HttpError(error.status, error.message);
      throw error;
    }
    const headers = { 'Cache-Control': item.cacheControl, ETag: item.etag, 'Content-Type': item.contentType };
    if (request.headers['if-none-match'] === item.etag) return send(response, 304, '', headers);
    if ('body' in item) return send(response, 200, item.body, headers);
    response.writeHead(200, {
      ...COMMON_HEADERS,
      ...headers,
      'Content-Security-Policy': INERT_CSP,
      'Content-Length': item.size,
    });
    createReadStream(item.file)
      .on('error', () => response.destroy())
      .pipe(response);
  };

  const handleStatic = async (response: ServerResponse, pathname: string) => {
    const file = await readRendererFile(rendererDir, pathname);
    if (file.status !== 200)
      throw new HttpError(file.status, file.message, file.status === 404 ? 'not-found' : 'bad-request');
    send(response, 200, file.body, {
      'Content-Type': file.contentType,
      'Content-Security-Policy': APP_CSP,
      'Cache-Control': rendererCacheControl(file),
    });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://phototag.invalid');
    if (!tokenMatches(presentedToken(request, url))) {
      return send(response, 401, 'Phototag: open the link "phototag serve" printed; it carries the access token.\n', {
        'Content-Type': 'text/plain; charset=utf-8',
        'WWW-Authenticate': 'Bearer realm="phototag"',
      });
    }
    if (url.searchParams.has('token') && request.method === 'GET' && !url.pathname.startsWith('/api/')) {
      // The token moves into a cookie and out of the address bar, history and any Referer.
      url.searchParams.delete('token');
      return send(response, 303, '', {
        Location: sameOriginLocation(url),
        'Set-Cookie': `${cookie().name}=${token}; ${cookie().attributes}`,
      });
    }
    checkOrigin(request);
    const path = url.pathname;
    if (path === '/api/events') {
      if (request.method !== 'GET') return send(response, 405, 'Use GET for events.\n', { Allow: 'GET' });
      return handleEvents(request, response);
    }
    if (path.startsWith('/api/')) return handleApi(request, response, path.slice('/api/'.length));
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, 'Method not allowed.\n', { Allow: 'GET, HEAD' });
    }
    if (path === WEB_MEDIA_ROOT || path.startsWith(`${WEB_MEDIA_ROOT}/`)) return handleMedia(request, response, url);
    return handleStatic(response, path);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof HttpError) {
        if (request.url?.startsWith('/api/')) return sendError(response, error.status, error.code, error.message);
        return send(response, error.status, `${error.message}\n`, { 'Content-Type': 'text/plain; charset=utf-8' });
      }
      sendError(response, 500, 'internal', (error as Error).message ?? 'Internal error.');
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${options.port ?? DEFAULT_PORT} on ${host} is in use; choose another with --port.`)
          : error,
      ),
    );
    server.listen(options.port ?? DEFAULT_PORT, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = loopback || !['0.0.0.0', '::'].includes(host) ? host : '127.0.0.1';
  const base = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`;

  if (options.startEngine ?? true) await service.start();

  return {
    url: `${base}?token=${token}`,
    token,
    port,
    service,
    close: async () => {
      for (const stream of streams) stream.end();
      service.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
