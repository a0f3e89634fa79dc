/**
 * The desktop app's main process: a thin shell around the same engine the CLI and web mode run. It opens the
 * library, starts watching and tagging (inference runs in a worker thread), serves the built Svelte app and the
 * media by id through its own protocols, and carries the API contract over IPC. Nothing here relaxes the window's
 * security: context isolation, sandbox, no Node in the page, a strict CSP, navigation and new windows denied.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, type IpcMainInvokeEvent } from 'electron';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ApiService } from '../api/api-service.js';
import { appContentSecurityPolicy } from '../api/content-security-policy.js';
import {
  API_CHANNEL,
  CHOOSE_FOLDER_CHANNEL,
  EVENT_CHANNEL,
  MEDIA_PROTOCOL,
  type ApiEvent,
  type MenuCommand,
} from '../api/contract.js';
import { MediaError, MediaService } from '../api/media-service.js';
import { readRendererFile } from '../api/renderer-files.js';
import { APP_NAME, packageRoot, userDataDir } from '../app-paths.js';
import { Library } from '../library/library.js';
import { buildAppMenu } from './app-menu.js';
import { electronNativeBinding } from './electron-native.js';
import { loadWindowState, rememberWindowState } from './window-state.js';

/** The app itself is served from this origin, so 'self' in its CSP means exactly the app. */
const APP_PROTOCOL = 'phototag-app';
const APP_URL = `${APP_PROTOCOL}://app/index.html`;
const CSP = appContentSecurityPolicy([`${MEDIA_PROTOCOL}:`]);

protocol.registerSchemesAsPrivileged([
  { scheme: APP_PROTOCOL, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_PROTOCOL, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

// One library and one models folder for the window, the CLI and the web mode.
app.setName(APP_NAME);
app.setPath('userData', userDataDir());
if (app.isPackaged) process.env.PHOTOTAG_MODELS_DIR ??= join(process.resourcesPath, 'models');

const isAppFrame = (event: IpcMainInvokeEvent) => event.senderFrame?.url.startsWith(`${APP_PROTOCOL}://app/`) ?? false;

function openLibrary(): Library {
  // In a checkout, better-sqlite3's Electron build sits beside Node's (see electron-native.ts); a packaged app's
  // node_modules were rebuilt for Electron by electron-builder.
  const binding = app.isPackaged ? undefined : electronNativeBinding();
  return Library.open({ nativeBinding: binding && existsSync(binding) ? binding : undefined });
}

function serveApp(): void {
  const rendererDir = join(packageRoot(), 'dist', 'renderer');
  protocol.handle(APP_PROTOCOL, async (request) => {
    const url = new URL(request.url);
    const file = url.host === 'app' ? await readRendererFile(rendererDir, url.pathname) : undefined;
    if (!file || file.status !== 200)
      return new Response(file?.message ?? 'Not found.', { status: file?.status ?? 404 });
    return new Response(new Uint8Array(file.body), {
      headers: {
        'Content-Type': file.contentType,
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });
}

function serveMedia(media: MediaService): void {
  protocol.handle(MEDIA_PROTOCOL, async (request) => {
    const url = new URL(request.url);
    try {
      if (url.host !== 'media') throw new MediaError(404, 'Not found.');
      const item = await media.resolve(url.pathname.slice(1), url.searchParams.get('v'));
      const body =
        'file' in item
          ? (Readable.toWeb(createReadStream(item.file)) as ReadableStream<Uint8Array>)
          : new Uint8Array(item.body);
      return new Response(body, {
        headers: { 'Content-Type': item.contentType, 'Cache-Control': item.cacheControl, ETag: item.etag },
      });
    } catch (error) {
      const status = error instanceof MediaError ? error.status : 500;
      return new Response(error instanceof MediaError ? error.message : 'The photo cannot be shown.', { status });
    }
  });
}

async function chooseFolder(window: BrowserWindow | undefined): Promise<string | undefined> {
  const options: Electron.OpenDialogOptions = { title: 'Add a photo folder', properties: ['openDirectory'] };
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? undefined : result.filePaths[0];
}

function createWindow(service: ApiService): BrowserWindow {
  const dataDir = userDataDir();
  mkdirSync(dataDir, { recursive: true });
  const state = loadWindowState(dataDir);
  const window = new BrowserWindow({
    ...state.bounds,
    minWidth: 640,
    minHeight: 420,
    show: false,
    title: APP_NAME,
    webPreferences: {
      preload: join(packageRoot(), 'dist', 'main', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (state.maximized) window.maximize();
  rememberWindowState(window, dataDir);
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    console.warn(`Blocked a new window for ${url}`);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (url === APP_URL) return;
    event.preventDefault();
    console.warn(`Blocked navigation to ${url}`);
  });
  const unsubscribe = service.onEvent((event) => {
    if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event);
  });
  window.on('closed', unsubscribe);
  void window.loadURL(APP_URL);
  return window;
}

async function main(): Promise<void> {
  await app.whenReady();
  const library = openLibrary();
  const service = new ApiService(library);
  const media = new MediaService(library);
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  serveApp();
  serveMedia(media);
  ipcMain.handle(API_CHANNEL, (event, method: string, args: unknown) =>
    isAppFrame(event)
      ? service.dispatch(method, args)
      : { error: { code: 'refused', message: 'Only the Phototag window may call the engine.' } },
  );
  ipcMain.handle(CHOOSE_FOLDER_CHANNEL, (event) =>
    isAppFrame(event) ? chooseFolder(BrowserWindow.fromWebContents(event.sender) ?? undefined) : undefined,
  );

  let window = createWindow(service);
  const addFolder = async () => {
    const path = await chooseFolder(window);
    if (path) await service.dispatch('addFolder', { path });
  };
  const send = (command: MenuCommand) => {
    if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, { type: 'menu', command } satisfies ApiEvent);
  };
  Menu.setApplicationMenu(buildAppMenu({ addFolder: () => void addFolder(), send }));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = createWindow(service);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    service.close();
    void library.close().finally(() => app.quit());
  });
  await service.start();
}

main().catch((error: unknown) => {
  dialog.showErrorBox('Phototag cannot start', (error as Error).message);
  app.exit(1);
});
