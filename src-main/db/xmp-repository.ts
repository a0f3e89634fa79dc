import { xmpSettingsSchema, type XmpSettings } from '../api/contract.js';
import type { TagSource } from './correction-repository.js';
import type { Db } from './database.js';

/** The setting's key; migration 11's triggers read its `enabled` to know whether to queue sidecars. */
const XMP_SETTING = 'xmp';

export const DEFAULT_XMP_SETTINGS: XmpSettings = {
  enabled: false,
  threshold: 0.5,
  intoFiles: false,
  keepOriginal: true,
};

/** A tag a photo carries, corrections and file keywords applied, with the tagger that gave a model tag. */
export interface SidecarTagRow {
  kind: 'label' | 'category';
  id: string;
  name: string;
  score: number;
  source: TagSource;
  modelId: string | null;
  modelVersion: string | null;
}

/**
 * The SQL of writing tags to XMP: the library's setting, the queue of photos whose sidecars are out of date
 * (xmp_dirty, kept by migration 11's triggers while writing is on), and what a photo's sidecar holds.
 */
export class XmpRepository {
  private readonly statements;

  constructor(private readonly db: Db) {
    const prepare = (sql: string) => db.prepare(sql);
    this.statements = {
      getSetting: prepare('SELECT value FROM settings WHERE key = ?').pluck(),
      setSetting: prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      queueAll: prepare("INSERT OR IGNORE INTO xmp_dirty SELECT id FROM photos WHERE status != 'missing'"),
      queued: prepare('SELECT photo_id FROM xmp_dirty ORDER BY photo_id LIMIT ?').pluck(),
      unqueue: prepare('DELETE FROM xmp_dirty WHERE photo_id = ?'),
      queue: prepare('INSERT OR IGNORE INTO xmp_dirty VALUES (?)'),
      pending: prepare('SELECT COUNT(*) FROM xmp_dirty').pluck(),
      // Only over the stamp the library's keywords were read from (migration 16): a sidecar another program changed
      // before this write still has keywords to read, which the merge kept.
      recordSidecarWrite: prepare(
        'UPDATE photos SET sidecar_stamp = @after WHERE id = @id AND sidecar_stamp IS @before',
      ),
      // The user's and the file's tags, then the model's by score; ranks and category ids find the tagger.
      tagsOf: prepare(`SELECT * FROM (SELECT 'label' AS kind, e.id, e.name, e.score, e.source, p.model_id AS modelId,
          p.model_version AS modelVersion
        FROM effective_labels e LEFT JOIN predictions p ON e.source = 'model' AND p.photo_id = e.photo_id
          AND p.rank = e.rank
        WHERE e.photo_id = @photoId
        UNION ALL
        SELECT 'category', e.id, e.name, e.score, e.source, s.model_id, s.model_version
        FROM effective_categories e LEFT JOIN category_scores s ON e.source = 'model' AND s.photo_id = e.photo_id
          AND s.category_id = e.id
        WHERE e.photo_id = @photoId)
        ORDER BY source = 'model', score DESC, kind DESC, name`),
    };
  }

  settings(): XmpSettings {
    const saved = this.statements.getSetting.get(XMP_SETTING) as string | undefined;
    const parsed = xmpSettingsSchema.partial().safeParse(saved === undefined ? {} : JSON.parse(saved));
    return { ...DEFAULT_XMP_SETTINGS, ...(parsed.success ? parsed.data : {}) };
  }

  /** Saves the setting; when `rewriteAll`, every photo's sidecar is queued to be written again. */
  saveSettings(settings: XmpSettings, rewriteAll: boolean): void {
    this.db.transaction(() => {
      this.statements.setSetting.run(XMP_SETTING, JSON.stringify(settings));
      if (rewriteAll) this.statements.queueAll.run();
    })();
  }

  /** Up to `limit` queued photos, left on the queue: each is taken off as it is written (see take). */
  queued(limit: number): number[] {
    return this.statements.queued.all(limit) as number[];
  }

  /**
   * Takes the photo off the queue, before its tags are read: a change made while its sidecar is being written
   * queues it again. False when it was not on it any more: another process (phototag xmp enable while the app
   * writes too) took it first, and writes it.
   */
  take(id: number): boolean {
    return this.statements.unqueue.run(id).changes === 1;
  }

  /** Puts a photo taken off the queue back on it: its write did not end. */
  putBack(id: number): void {
    this.statements.queue.run(id);
  }

  pending(): number {
    return this.statements.pending.get() as number;
  }

  /** Records the stamp of the sidecar Phototag wrote for the photo, if the one it replaced had been read. */
  recordSidecarWrite(id: number, before: string | undefined, after: string | undefined): void {
    this.statements.recordSidecarWrite.run({ id, before: before ?? null, after: after ?? null });
  }

  tagsOf(photoId: number): SidecarTagRow[] {
    return this.statements.tagsOf.all({ photoId }) as SidecarTagRow[];
  }
}
