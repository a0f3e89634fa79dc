/**
 * The window's only bridge to the engine: exactly one object, `window.phototag`, typed by the API contract.
 * Sandboxed preloads cannot load modules, so the build bundles this file (with the contract's constants) into
 * dist/main/preload.cjs.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  API_CHANNEL,
  CHOOSE_FOLDER_CHANNEL,
  EVENT_CHANNEL,
  type ApiEvent,
  type PhototagBridge,
} from '../api/contract.js';

const bridge: PhototagBridge = {
  call: (method, args) => ipcRenderer.invoke(API_CHANNEL, method, args),
  onEvent(listener) {
    const forward = (_event: IpcRendererEvent, apiEvent: ApiEvent) => listener(apiEvent);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => ipcRenderer.off(EVENT_CHANNEL, forward);
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
  chooseFolder: () => ipcRenderer.invoke(CHOOSE_FOLDER_CHANNEL),
};

contextBridge.exposeInMainWorld('phototag', bridge);
