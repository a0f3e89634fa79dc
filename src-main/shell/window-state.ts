import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserWindow, Rectangle } from 'electron';

export interface WindowState {
  bounds: Partial<Rectangle> & { width: number; height: number };
  maximized: boolean;
}

const DEFAULT_STATE: WindowState = { bounds: { width: 1280, height: 820 }, maximized: false };

/** The window's size and position from the last session, kept in the per-user data folder. */
export function loadWindowState(dataDir: string): WindowState {
  try {
    const saved = JSON.parse(readFileSync(join(dataDir, 'window-state.json'), 'utf8')) as WindowState;
    return saved.bounds?.width > 200 && saved.bounds?.height > 150 ? saved : DEFAULT_STATE;
  } catch {
    return DEFAULT_STATE;
  }
}

/** Saves the window's size and position whenever it settles, and as it closes. */
export function rememberWindowState(window: BrowserWindow, dataDir: string): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    if (window.isDestroyed() || window.isMinimized()) return;
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    writeFileSync(join(dataDir, 'window-state.json'), JSON.stringify(state));
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  window.on('resize', later);
  window.on('move', later);
  window.on('close', save);
}
