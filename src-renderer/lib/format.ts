import { scientificName } from '../../src-main/api/contract.js';

/** Display helpers: numbers and dates as people read them. */

export const percent = (score: number) => `${Math.round(score * 100)}%`;

const integer = new Intl.NumberFormat();
export const count = (n: number) => integer.format(n);

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * "12 MB of 45 MB · 26% · 2.1 MB/s": how far a download is, the rate once measured (null: not yet). The share is
 * rounded down, so 100% means every byte is there.
 */
export function downloadProgress(received: number, total: number, bytesPerSecond: number | null): string {
  const share = total > 0 ? Math.floor((received / total) * 100) : 0;
  const rate = bytesPerSecond === null ? [] : [`${fileSize(bytesPerSecond)}/s`];
  return [`${fileSize(received)} of ${fileSize(total)}`, `${share}%`, ...rate].join(' · ');
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** EXIF dates come as "2023:07:14 18:02:11" or ISO 8601; shown in the reader's locale. */
export function takenAt(value: string): string {
  const iso = value.replace(/^(\d{4}):(\d{2}):(\d{2})/, '$1-$2-$3');
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? value
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const dateTime = (ms: number) =>
  new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "14:02" today, "2 Dec, 14:02" another day: when something happened lately, as short as it can be said. */
export function clockTime(ms: number, now = Date.now()): string {
  const date = new Date(ms);
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === new Date(now).toDateString()) return time;
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** The last part of a path, whichever separator the engine's machine uses. */
export const baseName = (path: string) => path.split(/[\\/]/).filter(Boolean).pop() ?? path;

/** "Cannot read /a/b/x.jpg: it is truncated." reads "It is truncated." on a tile that already names x.jpg. */
export function reasonOnly(error: string, fileName: string): string {
  const at = error.indexOf(`${fileName}: `);
  const reason = at >= 0 ? error.slice(at + fileName.length + 2) : error;
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** A timeline month ("2024-05") as the reader's locale names it ("May 2024"). */
export function monthTitle(month: string | null): string {
  if (month === null) return 'Date unknown';
  const [year = 1970, number = 1] = month.split('-').map(Number);
  return monthFormat.format(Date.UTC(year, number - 1, 1));
}

/**
 * The word that marks a species among the model's classes, where both may bear one name ("Bald Eagle" and the
 * ImageNet class "Bald eagle"); undefined for any other label.
 */
export const speciesMark = (labelId: string): string | undefined => (scientificName(labelId) ? 'species' : undefined);
