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
  stream.write(linesText(lines));
}

/** The text of writeLines' lines: each made printable, and ended. */
export function linesText(lines: string[]): string {
  return `${lines.map(printable).join('\n')}\n`;
}

/** JSON output, escaped by JSON.stringify itself (control characters become \u001b, \n). */
export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** What writeEach hands the stream at once, at least (the last piece excepted): a pipe's buffer. */
const WRITE_SIZE = 2 ** 16;

/**
 * Writes the chunks in turn, gathered into pieces of WRITE_SIZE (a write per row cost more than making the row),
 * waiting for the reader whenever it lags: output of any size is made and held a piece at a time, never as one
 * giant string nor as a pile of pending writes.
 */
export async function writeEach(chunks: Iterable<string>, stream: NodeJS.WritableStream = process.stdout) {
  let piece = '';
  for (const chunk of chunks) {
    piece += chunk;
    if (piece.length < WRITE_SIZE) continue;
    const lagging = !stream.write(piece);
    piece = '';
    if (lagging) await once(stream, 'drain');
  }
  if (piece) stream.write(piece);
}

/** Human text of many items (photos, rows), streamed: `toLines` of each, one line per string, made printable. */
export function writeLinesOf<T>(items: Iterable<T>, toLines: (item: T) => string[]): Promise<void> {
  return writeEach(map(items, (item) => linesText(toLines(item))));
}

/**
 * One JSON array of `toJson` of each item (the same text as JSON.stringify of the whole array, null, 2), streamed an
 * element at a time.
 */
export function writeJsonArray<T>(items: Iterable<T>, toJson: (item: T) => unknown): Promise<void> {
  return writeJsonElements(map(items, (item) => jsonElement(toJson(item))));
}

/** writeJsonArray of elements made already (jsonElement). */
export function writeJsonElements(elements: Iterable<string>): Promise<void> {
  return writeEach(jsonArrayChunks(elements));
}

/** The text of `value` as an element of writeJsonArray's array, indented as there, without the comma before it. */
export function jsonElement(value: unknown): string {
  // An array of the one element, less its brackets: JSON.stringify indents the element itself, as in the whole
  // array, at half the cost of indenting its text again.
  return JSON.stringify([value], null, 2).slice(1, -2);
}

function* jsonArrayChunks(elements: Iterable<string>): Generator<string> {
  let first = true;
  for (const element of elements) {
    yield `${first ? '[' : ','}${element}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

function* map<T, U>(items: Iterable<T>, to: (item: T) => U): Generator<U> {
  for (const item of items) yield to(item);
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

/**
 * Characters a status line may take on a terminal `columns` wide: one short of it, so that the cursor never wraps.
 * A terminal that reports no width (0, as a pseudo-terminal without a size does) is taken to be 80 wide.
 */
export const lineWidth = (columns: number | undefined) => (columns || 80) - 1;

/** One line that redraws itself on a terminal and stays silent elsewhere (logs, pipes). */
export class StatusLine {
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  get width(): number {
    return lineWidth(this.stream.columns);
  }

  show(text: string): void {
    if (!this.enabled) return;
    this.stream.write(`\r\x1b[2K${printable(text).slice(0, this.width)}`);
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

/** The progress line for `width` characters: the bar goes first when they are few, the counts stay. */
export function progressText(progress: Progress, width = 79): string {
  const finished = progress.done + progress.failed;
  const total = finished + progress.queued;
  const text = [
    `${finished}/${total}`,
    progress.failed ? `${progress.failed} failed` : '',
    progress.photosPerSecond ? `${progress.photosPerSecond.toFixed(1)} photos/s` : '',
    progress.etaSeconds !== null ? `ETA ${duration(progress.etaSeconds)}` : '',
    progress.state === 'paused' ? 'paused' : '',
  ]
    .filter(Boolean)
    .join('  ');
  const withBar = `${bar(total ? finished / total : 1)} ${text}`;
  return withBar.length <= width ? withBar : text;
}

export function byteSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
}
