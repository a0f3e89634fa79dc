import {
  electronMediaUrl,
  mediaPath,
  WEB_MEDIA_ROOT,
  type ApiArgs,
  type ApiErrorCode,
  type ApiEvent,
  type ApiMethod,
  type ApiResponse,
  type ApiResult,
  type MediaKind,
  type PhototagBridge,
} from '../../src-main/api/contract';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser. */
    phototag?: PhototagBridge;
  }
}

/** What carries calls and events: IPC through the preload's bridge in the desktop app, HTTP and SSE in a browser. */
export interface Transport {
  readonly kind: 'desktop' | 'web';
  call(method: ApiMethod, args: unknown): Promise<ApiResponse>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /**
   * Resolves once the engine's events are heard (at once in the desktop app; in a browser once the event stream
   * first opened, or failed to or stayed closed for STREAM_WAIT_MS, after which its opening says so with a
   * `changed`): what is asked for from then on misses no change.
   */
  readonly listening: Promise<void>;
  /**
   * Tells `listener` false when the event stream has not opened within STREAM_WAIT_MS (a proxy holding it back) or
   * was refused for good, true once it opens; absent where the engine's events always arrive (the desktop app).
   */
  onLive?(listener: (live: boolean) => void): () => void;
  mediaUrl(kind: MediaKind, photoId: number, version?: string | null): string;
  pathForFile?(file: File): string;
  chooseFolder?(): Promise<string | undefined>;
}

export class ApiCallError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The renderer's only way to the engine, typed by the contract whatever the transport. */
export class ApiClient {
  constructor(readonly transport: Transport) {}

  async call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> {
    const response = await this.transport.call(method, args);
    if ('error' in response) throw new ApiCallError(response.error.code, response.error.message);
    return response.result as ApiResult<M>;
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    return this.transport.onEvent(listener);
  }

  get listening(): Promise<void> {
    return this.transport.listening;
  }

  onLive(listener: (live: boolean) => void): () => void {
    return this.transport.onLive?.(listener) ?? (() => {});
  }

  mediaUrl(kind: MediaKind, photoId: number, version?: string | null): string {
    return this.transport.mediaUrl(kind, photoId, version);
  }
}

export function bridgeTransport(bridge: PhototagBridge): Transport {
  return {
    kind: 'desktop',
    call: (method, args) => bridge.call(method, args as ApiArgs<typeof method>),
    onEvent: (listener) => bridge.onEvent(listener),
    listening: Promise.resolve(),
    mediaUrl: electronMediaUrl,
    pathForFile: bridge.pathForFile?.bind(bridge),
    chooseFolder: bridge.chooseFolder?.bind(bridge),
  };
}

/**
 * How long a page waits for its event stream to open before it asks for what it shows all the same: a proxy or
 * antivirus that buffers text/event-stream may hold the stream back for good, and the grid must not wait for it.
 */
const STREAM_WAIT_MS = 2000;

/**
 * Web mode: POST api/<method> with JSON, one EventSource for every listener. Paths are relative, so the app works
 * wherever it is served; the access token, when the server needs one, travels as its cookie.
 */
export function httpTransport(base = new URL('.', document.baseURI)): Transport {
  const listeners = new Set<(event: ApiEvent) => void>();
  let source: EventSource | undefined;
  let heard!: () => void;
  const listening = new Promise<void>((resolve) => (heard = resolve));
  let broken = false;
  const liveListeners = new Set<(live: boolean) => void>();
  let live = true;
  const setLive = (now: boolean) => {
    if (now === live) return;
    live = now;
    for (const listener of liveListeners) listener(live);
  };
  let waiting: ReturnType<typeof setTimeout> | undefined;
  const stopWaiting = () => {
    clearTimeout(waiting);
    waiting = undefined;
  };
  // A stream that does not open in time: what waits for `listening` is asked all the same (its opening, if it
  // comes, says `changed`), and the page says that it does not follow the engine meanwhile.
  const waitForOpening = () => {
    if (waiting !== undefined) return;
    waiting = setTimeout(() => {
      waiting = undefined;
      broken = true;
      heard();
      setLive(false);
    }, STREAM_WAIT_MS);
  };
  const connect = () => {
    const stream = new EventSource(new URL('api/events', base));
    source = stream;
    waitForOpening();
    stream.onmessage = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as ApiEvent;
      for (const listener of listeners) listener(event);
    };
    stream.onerror = () => {
      broken = true;
      // What waits for `listening` is asked now: it shows what was when asked until the stream opens (a `changed`).
      heard();
      // Refused (a proxy's error page instead of the stream): the browser will not try again.
      if (stream.readyState === EventSource.CLOSED) setLive(false);
      // Reconnecting, as after a dropped stream: a proxy may hold the new one as it may a first one.
      else waitForOpening();
    };
    stream.onopen = () => {
      // Whatever happened while the stream was down was not heard, and an answer asked for meanwhile may tell of it
      // as it was (a run that has ended since): views re-query. What was asked before its first opening waits for
      // `listening`, or is asked again then (the header's summary).
      if (broken) for (const listener of listeners) listener({ type: 'changed', counts: null });
      broken = false;
      heard();
      stopWaiting();
      setLive(true);
    };
  };
  return {
    kind: 'web',
    async call(method, args) {
      let response: Response;
      try {
        response = await fetch(new URL(`api/${method}`, base), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(args ?? {}),
        });
      } catch {
        return {
          error: { code: 'internal', message: 'Phototag is not reachable: is "phototag serve" still running?' },
        };
      }
      const text = await response.text();
      try {
        return JSON.parse(text) as ApiResponse;
      } catch {
        return { error: { code: 'internal', message: text.trim() || `The server answered ${response.status}.` } };
      }
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!source) connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          source?.close();
          source = undefined;
          stopWaiting();
        }
      };
    },
    listening,
    onLive(listener) {
      liveListeners.add(listener);
      return () => {
        liveListeners.delete(listener);
      };
    },
    mediaUrl: (kind, photoId, version) => {
      const url = new URL(`.${WEB_MEDIA_ROOT}/${mediaPath(kind, photoId)}`, base);
      if (version) url.searchParams.set('v', version);
      return url.pathname + url.search;
    },
  };
}

/** The desktop app's bridge when the preload provided one, HTTP otherwise. */
export function createClient(): ApiClient {
  return new ApiClient(window.phototag ? bridgeTransport(window.phototag) : httpTransport());
}
