import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { appMenuTemplate } from '../../src-main/shell/app-menu.js';
import { APP_URL, isAppFrame } from '../../src-main/shell/protocol-handlers.js';
import { liveWindow, platformProblem, sandboxProblem } from '../../src-main/shell/shell-rules.js';
import { tempDir } from '../helpers.js';

const actions = { addFolder: () => undefined, send: () => undefined };

/** Every item of a menu template, submenus included. */
function items(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? items(item.submenu) : [])]);
}

const editMenu = (platform: NodeJS.Platform) => {
  const edit = appMenuTemplate({ platform, packaged: true }, actions).find((item) => item.label === '&Edit');
  return items((edit?.submenu ?? []) as MenuItemConstructorOptions[]);
};

describe('the IPC sender check', () => {
  it("lets only the app's own page call the engine", () => {
    assert.equal(isAppFrame(APP_URL), true);
    assert.equal(isAppFrame('phototag-app://app/assets/index.js'), true);
    for (const url of [
      'phototag-app://app.evil/index.html',
      'phototag-app://other/index.html',
      'phototag-media://media/thumb/1',
      'https://app/index.html',
      'file:///app/index.html',
      'not a url',
      '',
      undefined,
    ])
      assert.equal(isAppFrame(url), false, String(url));
  });
});

describe('the application menu', () => {
  it('gives a Mac the standard Edit roles and takes no library keys from its text fields', () => {
    const mac = editMenu('darwin');
    const roles = mac.map((item) => item.role).filter(Boolean);
    for (const role of ['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll'])
      assert.ok(roles.includes(role as never), role);
    assert.ok(mac.every((item) => item.registerAccelerator === undefined));
    const library = mac.filter((item) => item.label === 'Undo Correction' || item.label === 'Select All Photos');
    assert.equal(library.length, 2);
    assert.ok(
      library.every((item) => item.accelerator === undefined),
      'the page keeps Cmd+Z and Cmd+A for the library',
    );
  });

  it('shows the library keys on Linux and Windows and leaves them to the page', () => {
    for (const platform of ['linux', 'win32'] as const) {
      const undo = editMenu(platform).find((item) => item.label === 'Undo Correction');
      assert.equal(undo?.accelerator, 'CmdOrCtrl+Z');
      assert.equal(undo?.registerAccelerator, false);
    }
  });

  it('offers the developer tools in a checkout, never in the shipped app', () => {
    const hasDevTools = (packaged: boolean) =>
      items(appMenuTemplate({ platform: 'linux', packaged }, actions)).some((item) => item.role === 'toggleDevTools');
    assert.equal(hasDevTools(false), true);
    assert.equal(hasDevTools(true), false);
  });
});

describe('start-up rules', () => {
  it('refuses an Intel Mac with the reason, and runs everywhere else', () => {
    assert.match(platformProblem('darwin', 'x64') ?? '', /needs a Mac with Apple silicon: onnxruntime-node/);
    assert.equal(platformProblem('darwin', 'arm64'), undefined);
    assert.equal(platformProblem('linux', 'x64'), undefined);
    assert.equal(platformProblem('win32', 'x64'), undefined);
  });

  it('attaches a dialog to a window only while it lives', () => {
    let destroyed = false;
    const window = { isDestroyed: () => destroyed };
    assert.equal(liveWindow(window), window);
    destroyed = true;
    assert.equal(liveWindow(window), undefined);
    assert.equal(liveWindow(undefined), undefined);
  });

  it('says how to keep the sandbox where user namespaces are restricted and the helper is not SUID root', () => {
    const helper = join(tempDir(), 'chrome-sandbox');
    writeFileSync(helper, '');
    chmodSync(helper, 0o755);
    const problem = sandboxProblem(helper, true, statSync(helper));
    assert.match(problem ?? '', /sudo chown root:root .*chrome-sandbox && sudo chmod 4755 .*chrome-sandbox/);
    assert.doesNotMatch(problem ?? '', /no-sandbox/);
    assert.equal(sandboxProblem(helper, false, statSync(helper)), undefined, 'user namespaces are enough');
    assert.equal(sandboxProblem(helper, true, { uid: 0, mode: 0o104755 }), undefined, 'a SUID root helper is fine');
    assert.equal(sandboxProblem(helper, true, undefined), undefined, 'no helper, no SUID fallback');
  });
});
