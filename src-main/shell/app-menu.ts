import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../api/contract.js';

export interface MenuActions {
  addFolder: () => void;
  send: (command: MenuCommand) => void;
}

/**
 * The Edit menu. Undo and Select All act on the library (corrections, the grid) through the page's own keys. On
 * Linux and Windows the menu shows those keys without taking them (`registerAccelerator: false`). macOS ignores
 * that option, so a Mac gets the standard Edit roles: the page sees each key first and keeps Cmd+Z and Cmd+A for
 * the library outside text fields, and inside them the roles undo, redo and select text as a Mac user expects.
 */
function editMenu(mac: boolean, actions: MenuActions): MenuItemConstructorOptions[] {
  const clipboard: MenuItemConstructorOptions[] = [{ role: 'cut' }, { role: 'copy' }, { role: 'paste' }];
  if (mac)
    return [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      ...clipboard,
      { role: 'pasteAndMatchStyle' },
      { role: 'delete' },
      { role: 'selectAll' },
      { type: 'separator' },
      { label: 'Undo Correction', click: () => actions.send('undo') },
      { label: 'Select All Photos', click: () => actions.send('selectAll') },
    ];
  return [
    {
      label: 'Undo Correction',
      accelerator: 'CmdOrCtrl+Z',
      registerAccelerator: false,
      click: () => actions.send('undo'),
    },
    { type: 'separator' },
    ...clipboard,
    { type: 'separator' },
    {
      label: 'Select All Photos',
      accelerator: 'CmdOrCtrl+A',
      registerAccelerator: false,
      click: () => actions.send('selectAll'),
    },
  ];
}

/**
 * The usual application menu, as a template for `Menu.buildFromTemplate` (a plain value, so tests read it in Node).
 * The developer tools are offered in a checkout only, never in the shipped app.
 */
export function appMenuTemplate(
  target: { platform: NodeJS.Platform; packaged: boolean },
  actions: MenuActions,
): MenuItemConstructorOptions[] {
  const mac = target.platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Add Folder…', accelerator: 'CmdOrCtrl+O', click: actions.addFolder },
        { label: 'Export Dataset…', accelerator: 'CmdOrCtrl+E', click: () => actions.send('export') },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { label: '&Edit', submenu: editMenu(mac, actions) },
    {
      label: '&View',
      submenu: [
        { label: 'Review Least Certain…', click: () => actions.send('review') },
        { type: 'separator' },
        { role: 'reload' },
        ...(target.packaged ? [] : [{ role: 'toggleDevTools' as const }]),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'About Phototag', role: 'about' }] },
  ];
}
