import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userDataDir } from '../app-paths.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const defaultDatabasePath = (env: NodeJS.ProcessEnv = process.env) => join(userDataDir(env), 'library.sqlite');

export interface OpenOptions {
  /** Where better-sqlite3's native binding lives when it is not the one node_modules holds (the Electron build). */
  nativeBinding?: string;
}

/**
 * Opens (creating if needed) a library database: WAL, foreign keys, a busy timeout, and the schema migrated to
 * the current version. A database written by a newer Phototag is refused rather than damaged.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { nativeBinding: options.nativeBinding });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `The library ${file} was written by a newer version of Phototag (schema ${version}; this one knows up to ` +
        `${MIGRATIONS.length}). Update Phototag to open it.`,
    );
  }
  if (version === MIGRATIONS.length) return;
  db.transaction(() => {
    for (const sql of MIGRATIONS.slice(version)) db.exec(sql);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
