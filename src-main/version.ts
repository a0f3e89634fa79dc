import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './app-paths.js';

export function versionInfo(): { version: string } {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return { version: pkg.version };
}
