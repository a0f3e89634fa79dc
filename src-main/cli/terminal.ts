import { once } from 'node:events';
import type { Progress } from '../pipeline/tagging-pipeline.js';

/**
 * Control characters (C0, DEL, C1). Printed raw, a file name holding them could move the cursor, recolour, retitle
 * or clear the user's terminal, or fake lines of output.
 */
const CONTROL = /\p{Cc}/gu;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text made safe for a terminal: every control character spelled out, as \x1b or \n. */
export function printable(text: string): string {
  return text.replace(
    CONTROL,
    (char) => SHORT_ESCAPES[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Human text, one line per argument, each made printable: the way the CLI's words reach stdout and stderr. */
export function writeLines(stream: NodeJS.WritableStream, ...lines: string[]): void {
  stream.write(`${lines.map(printable).join('\n')}\n`);
}

/** JSON output, escaped by JSON.stringify itself (control characters become \u001b, \n). */
export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * One JSON array of `toJson` of each item (the same text as JSON.stringify of the whole array, null, 2), written
 * and made an element at a time, waiting for the reader whenever it lags: a large library never becomes one giant
 * string, nor piles up in memory.
 */
export async function writeJsonArray<T>(items: Iterable<T>, toJson: (item: T) => unknown): Promise<void> {
  const stream = process.stdout;
  let first = true;
  for (const item of items) {
    const element = JSON.stringify(toJson(item), null, 2).replace(/\n/g, '\n  ');
    const flowing = stream.write(`${first ? '[' : ','}\n  ${element}`);
    first = false;
    if (!flowing) await once(stream, 'drain');
  }
  stream.write(first ? '[]\n' : '\n]\n');
}

/** Resolves once everything written so far has been handed to the OS (or the stream has failed). */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((done) => stream.write('', () => done()));
}

export const percent = (score: number) => `${Math.round(score * 100)}%`;

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line that redraws itself on a terminal and stays silent elsewhere (logs, pipes). */
export class StatusLine {
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  show(text: string): void {
    if (!this.enabled) return;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    this.stream.write(`\r\x1b[2K${printable(text).slice(0, width)}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}

export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export function progressText(progress: Progress): string {
  const finished = progress.done + progress.failed;
  const total = finished + progress.queued;
  const parts = [
    `${bar(total ? finished / total : 1)} ${finished}/${total}`,
    progress.failed ? `${progress.failed} failed` : '',
    progress.photosPerSecond ? `${progress.photosPerSecond.toFixed(1)} photos/s` : '',
    progress.etaSeconds !== null ? `ETA ${duration(progress.etaSeconds)}` : '',
    progress.state === 'paused' ? 'paused' : '',
  ];
  return parts.filter(Boolean).join('  ');
}

export function byteSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
}
