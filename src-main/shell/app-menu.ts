import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../api/contract.js';

/**
 * The usual application menu. Undo and Select All act on the library (corrections, the grid) as their keys do in
 * the page, so their accelerators are shown but left to the page rather than taken by the menu.
 */
export function buildAppMenu(actions: { addFolder: () => void; send: (command: MenuCommand) => void }): Menu {
  const mac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
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
    {
      label: '&Edit',
      submenu: [
        {
          label: 'Undo Correction',
          accelerator: 'CmdOrCtrl+Z',
          registerAccelerator: false,
          click: () => actions.send('undo'),
        },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { type: 'separator' },
        {
          label: 'Select All Photos',
          accelerator: 'CmdOrCtrl+A',
          registerAccelerator: false,
          click: () => actions.send('selectAll'),
        },
      ],
    },
    {
      label: '&View',
      submenu: [
        { label: 'Review Least Certain…', click: () => actions.send('review') },
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
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
  return Menu.buildFromTemplate(template);
}
