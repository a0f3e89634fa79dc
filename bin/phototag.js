#!/usr/bin/env node
// The installed `phototag` command: runs the compiled CLI (npm ci builds it through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main/src-main/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('phototag: the CLI is not built yet; run "npm run build" in the Phototag folder.\n');
  process.exit(1);
}
await import(entry.href);
