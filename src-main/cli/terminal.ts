import type { Progress } from '../pipeline/tagging-pipeline.js';

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
    this.stream.write(`\r\x1b[2K${text.slice(0, width)}`);
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
