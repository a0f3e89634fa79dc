import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ROOT } from './helpers.js';

// Offline model tooling runs on Debian's Python (python3-numpy, python3-onnx, python3-torch, wordnet-base).
const PYTHON = '/usr/bin/python3';

/** Runs a script of the model tooling from the repository root; returns what it printed (references print JSON). */
export const python = (...args: string[]) =>
  execFileSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });

/** A file's size and sha256, as a manifest pins its model file. */
export function fileFacts(file: string): { size: number; sha256: string } {
  const bytes = readFileSync(file);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * '' when the two ONNX files hold the same model, else models/build/same_model.py's sentence naming the first
 * difference. A rebuilt model is compared by meaning, not bytes: another python3-onnx may write the same graph
 * differently.
 */
export function sameModel(a: string, b: string): string {
  const run = spawnSync(PYTHON, ['models/build/same_model.py', a, b], { cwd: ROOT, encoding: 'utf8' });
  if (run.error) throw run.error;
  // Exit 0 is the same model whatever Python warned on stderr; 1 carries the sentence; anything else is a crash.
  if (run.status === 0) return '';
  assert.equal(run.status, 1, run.stderr);
  return run.stderr.trim();
}
