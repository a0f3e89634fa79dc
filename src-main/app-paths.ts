import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_NAME = 'Phototag';

/**
 * The per-user data folder, the same one Electron's `app.getPath('userData')` gives the desktop app, so the CLI,
 * the web mode and the window share one library and one models folder. PHOTOTAG_HOME overrides it.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.PHOTOTAG_HOME) return env.PHOTOTAG_HOME;
  switch (platform) {
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', APP_NAME);
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
  }
}

/** Where downloaded models are installed, one folder per model id. */
export function userModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(userDataDir(env), 'models');
}

/** The folder holding package.json: found by walking up, so it works from sources and from compiled output. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Phototag: cannot find the package folder (package.json) above ' + dir);
    dir = parent;
  }
  return dir;
}

/**
 * The models shipped with the app: `models/` in a checkout, or the folder the Electron shell passes in
 * (resources/models in a packaged build) through PHOTOTAG_MODELS_DIR.
 */
export function embeddedModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PHOTOTAG_MODELS_DIR ?? join(packageRoot(), 'models');
}
