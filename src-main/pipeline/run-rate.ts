/**
 * The rate shown is measured over the photos finished in the last RATE_WINDOW_MS, so it follows the work as it is
 * now (a burst of moved photos relinked in no time, a pause, photos still arriving). A batch's photos finish
 * together, so a rate over the first of them would read thousands of photos a second: it is shown once the window
 * holds enough photos over enough time, and the time left later still.
 */
const RATE_WINDOW_MS = 10_000;
const RATE_MIN_PHOTOS = 5;
const RATE_MIN_SPAN_MS = 1_000;
const ETA_MIN_SPAN_MS = 3_000;

export class RunRate {
  /** When each photo finished within the window, oldest first. */
  private finishedAt: number[] = [];

  /** A photo finished (tagged or failed) at `at` (ms). */
  record(at: number): void {
    this.finishedAt.push(at);
  }

  clear(): void {
    this.finishedAt = [];
  }

  /** Photos a second at `now`; 0 while too few photos, or too short a time, would make it mean nothing. */
  perSecond(now: number): number {
    const span = this.spanAt(now);
    return this.finishedAt.length >= RATE_MIN_PHOTOS && span >= RATE_MIN_SPAN_MS
      ? this.finishedAt.length / (span / 1000)
      : 0;
  }

  /** Seconds until `queued` more photos are done at the rate now; null until the rate has held long enough. */
  secondsLeft(queued: number, now: number): number | null {
    const rate = this.perSecond(now);
    if (rate === 0 || queued === 0 || this.spanAt(now) < ETA_MIN_SPAN_MS) return null;
    return queued / rate;
  }

  private spanAt(now: number): number {
    const kept = this.finishedAt.findIndex((at) => at >= now - RATE_WINDOW_MS);
    this.finishedAt.splice(0, kept === -1 ? this.finishedAt.length : kept);
    return this.finishedAt.length > 0 ? now - this.finishedAt[0]! : 0;
  }
}
