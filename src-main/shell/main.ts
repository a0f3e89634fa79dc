/**
 * The desktop app's main process: a thin shell around the same engine the CLI and web mode run. It opens the
 * library, starts watching and tagging (inference runs in a worker thread), serves the built Svelte app and the
 * media by id through its own protocols, and carries the API contract over IPC. Nothing here relaxes the window's
 * security: context isolation, sandbox, no Node in the page, a strict CSP, navigation and new windows denied. What
 * can be decided without Electron lives in plain modules beside this one, which the tests run in Node.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session } from 'electron';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiService } from '../api/api-service.js';
import {
  API_CHANNEL,
  CHOOSE_FOLDER_CHANNEL,
  EVENT_CHANNEL,
  MEDIA_PROTOCOL,
  type ApiEvent,
  type MenuCommand,
} from '../api/contract.js';
import { MediaService } from '../api/media-service.js';
import { APP_NAME, packageRoot, userDataDir } from '../app-paths.js';
import { killIfHeld, LEAVING_HELD_WORK } from '../library/in-time.js';
import { Library } from '../library/library.js';
import { appMenuTemplate } from './app-menu.js';
import { bindingProblem, checkoutRemedy, electronNativeBinding, packagedNativeBinding } from './electron-native.js';
import { APP_PROTOCOL, APP_URL, appProtocolHandler, isAppFrame, mediaProtocolHandler } from './protocol-handlers.js';
import { liveWindow, platformProblem } from './shell-rules.js';
import { loadWindowState, rememberWindowState } from './window-state.js';

/** How long a quit held by a dead share (see killIfHeld) gives the window's storage to be written. */
const STORAGE_FLUSH_MS = 500;

protocol.registerSchemesAsPrivileged([
  { scheme: APP_PROTOCOL, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_PROTOCOL, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

// One library and one models folder for the window, the CLI and the web mode.
app.setName(APP_NAME);
app.setPath('userData', userDataDir());
if (app.isPackaged) process.env.PHOTOTAG_MODELS_DIR ??= join(process.resourcesPath, 'models');

/**
 * better-sqlite3's build for this Electron: resources/native when packaged, .electron-native/ in a checkout (see
 * electron-native.ts). One of another ABI is refused with the fix, never swapped for node_modules' build (Node's).
 */
function nativeBinding(): string {
  const file = app.isPackaged
    ? packagedNativeBinding(process.resourcesPath)
    : electronNativeBinding(process.versions.electron);
  const remedy = app.isPackaged ? 'reinstall Phototag' : checkoutRemedy(file);
  const problem = bindingProblem(file, process.versions.modules, remedy);
  if (problem) throw new Error(problem);
  return file;
}

async function chooseFolder(window: BrowserWindow | undefined): Promise<string | undefined> {
  const options: Electron.OpenDialogOptions = { title: 'Add a photo folder', properties: ['openDirectory'] };
  const parent = liveWindow(window);
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
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
  const unsupported = platformProblem(process.platform, process.arch);
  if (unsupported) throw new Error(unsupported);
  await app.whenReady();
  const library = Library.open({ nativeBinding: nativeBinding() });
  const service = new ApiService(library);
  // The page asks for nothing (camera, notifications, ...): every permission is refused, asked or merely checked.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_PROTOCOL, appProtocolHandler(join(packageRoot(), 'dist', 'renderer')));
  protocol.handle(MEDIA_PROTOCOL, mediaProtocolHandler(new MediaService(library)));
  ipcMain.handle(API_CHANNEL, (event, method: string, args: unknown) =>
    isAppFrame(event.senderFrame?.url)
      ? service.dispatch(method, args)
      : { error: { code: 'refused', message: 'Only the Phototag window may call the engine.' } },
  );
  ipcMain.handle(CHOOSE_FOLDER_CHANNEL, (event) =>
    isAppFrame(event.senderFrame?.url)
      ? chooseFolder(BrowserWindow.fromWebContents(event.sender) ?? undefined)
      : undefined,
  );

  let window = createWindow(service);
  const addFolder = async () => {
    const path = await chooseFolder(window);
    if (path) await service.dispatch('addFolder', { path });
  };
  const send = (command: MenuCommand) => {
    if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, { type: 'menu', command } satisfies ApiEvent);
  };
  const actions = { addFolder: () => void addFolder(), send };
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(appMenuTemplate({ platform: process.platform, packaged: app.isPackaged }, actions)),
  );
  const showWindow = () => {
    if (window.isDestroyed()) window = createWindow(service);
    if (window.isMinimized()) window.restore();
    window.focus();
  };
  // A second launch quits at once (it holds no lock, see the end of this file) and this one comes forward instead.
  app.on('second-instance', showWindow);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) showWindow();
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
    // Work given up on that waits on a share that does not answer would hold the app at exit (see killIfHeld), and
    // with it the one-app lock: the app could not be started again until the share answers.
    void library
      .close()
      .finally(() =>
        killIfHeld(async () => {
          console.error(`Phototag: ${LEAVING_HELD_WORK}.`);
          // Asked, not awaited (Electron gives no end): a moment for the window's storage to be written.
          session.defaultSession.flushStorageData();
          await new Promise((wake) => setTimeout(wake, STORAGE_FLUSH_MS));
        }),
      )
      .finally(() => app.quit())
      .catch((error: unknown) => console.error(error));
  });
  await service.start();
}

// One app per user: a second one would run a second engine on the same library (two watchers, two classifiers).
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  main().catch((error: unknown) => {
    dialog.showErrorBox('Phototag cannot start', (error as Error).message);
    app.exit(1);
  });
}
