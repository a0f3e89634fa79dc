/** A photo as the library holds it: its path and its version (photoVersion; '' for a photo missing). */
export type KnownPhoto = [path: string, version: string];

/**
 * The library's photos directly in a folder, in path order, stepped through as a walk lists the folder in name
 * order: a full scan (ScanComparison) and a polling pass (PolledFolder) compare each listing so, and an unchanged
 * photo costs a string comparison. The next photo is read as soon as the one before is stepped past, as the source
 * may be read lazily with writes in between. What the walk finds out of that step is the caller's to settle: the
 * walk's order (UTF-16 code units) and SQLite's (code points) differ past U+D7FF.
 */
export class KnownPhotos {
  readonly #photos: Iterator<KnownPhoto>;
  #next: KnownPhoto | undefined;
  /** The photos, not missing already, stepped past without being met, by path, with their versions. */
  readonly passed = new Map<string, string>();

  constructor(photos: Iterable<KnownPhoto>) {
    this.#photos = photos[Symbol.iterator]();
    this.#advance();
  }

  /**
   * Steps past the photos that sort before `path`, and past the one at `path` if it is next: returns its version
   * ('' for one missing), or undefined when the walk did not meet it here.
   */
  meet(path: string): string | undefined {
    while (this.#next !== undefined && this.#next[0] < path) this.#pass();
    if (this.#next?.[0] !== path) return undefined;
    const version = this.#next[1];
    this.#advance();
    return version;
  }

  /** After the walk listed the folder: steps past the photos left. */
  finish(): void {
    while (this.#next !== undefined) this.#pass();
  }

  /** One missing already is nothing to take for gone, nor to hold. */
  #pass(): void {
    const [path, version] = this.#next!;
    if (version !== '') this.passed.set(path, version);
    this.#advance();
  }

  #advance(): void {
    const next = this.#photos.next();
    this.#next = next.done ? undefined : next.value;
  }
}
