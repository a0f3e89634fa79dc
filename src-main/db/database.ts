import Database from 'better-sqlite3';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { userDataDir } from '../app-paths.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const defaultDatabasePath = (env: NodeJS.ProcessEnv = process.env) => join(userDataDir(env), 'library.sqlite');

export interface OpenOptions {
  /** Where better-sqlite3's native binding lives when it is not the one node_modules holds (the Electron build). */
  nativeBinding?: string;
  /** Only read: nothing is migrated, created or written, and a library that cannot be written to is fine. */
  readonly?: boolean;
}

/** The library holds the user's photo paths and labels: only the user reads it (SQLite gives -wal/-shm its mode). */
const PRIVATE_FILE = 0o600;
const PRIVATE_FOLDER = 0o700;
const POSIX_MODES = process.platform !== 'win32';

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** SQLite needs to create the journal beside the database unless it is there already. */
const canKeepJournal = (file: string) => existsSync(`${file}-wal`) || canWrite(dirname(file));

/**
 * Opens a library database: WAL, foreign keys, a busy timeout, and the schema migrated to the current version
 * (created if needed, readable by the user only). A database written by a newer Phototag is refused rather than
 * damaged. With `readonly`, see openForReading.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  assertNotSpecial(file);
  return options.readonly ? openForReading(file, options) : openForWriting(file, options);
}

/**
 * SQLite's data_version of the connection: a number that changes only when another connection (another process, a
 * worker's own) has committed to the library since it was last asked, never with this connection's own writes.
 */
export function dataVersion(db: Db): number {
  return db.pragma('data_version', { simple: true }) as number;
}

/**
 * A library is a plain file. Anything else at its path (a folder, a device such as /dev/null, a pipe) is refused
 * before anything touches it: the journal and the private mode would otherwise land on it (chmod 0600 on a folder
 * given by mistake locks everyone else out of it).
 */
function assertNotSpecial(file: string): void {
  const stats = existsSync(file) ? statSync(file) : undefined;
  if (!stats || stats.isFile()) return;
  if (stats.isDirectory()) {
    throw new Error(`${file} is a folder; a library is a file (such as ${join(file, 'library.sqlite')}).`);
  }
  throw new Error(`${file} is not a regular file; a library is a file (such as library.sqlite).`);
}

/** Why this process cannot write to the library, or undefined when it can. */
function readOnlyReason(file: string): string | undefined {
  if (existsSync(file) && !canWrite(file)) return 'the file cannot be written to';
  if (!canKeepJournal(file))
    return `its folder ${dirname(file)} cannot be written to, and SQLite keeps its journal there`;
  return undefined;
}

function openForWriting(file: string, options: OpenOptions): Db {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_FOLDER });
  const readOnly = readOnlyReason(file);
  if (readOnly) {
    // Refused before SQLite opens it: opening would leave -wal/-shm files behind, as read-only as the library.
    throw new Error(
      `The library ${file} is read-only (${readOnly}); Phototag needs to write to it to tag photos and save changes.`,
    );
  }
  if (existsSync(file)) tightenModes(file);
  else closeSync(openSync(file, 'wx', PRIVATE_FILE));
  return configured(new Database(file, { nativeBinding: options.nativeBinding }), (db) => {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
  });
}

/** A library from before libraries were private, that others can read: only its owner may make it private. */
function tightenModes(file: string): void {
  if (!POSIX_MODES) return;
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    const stats = existsSync(path) ? statSync(path) : undefined;
    if (stats?.isFile() && stats.uid === process.getuid?.() && (stats.mode & 0o077) !== 0)
      chmodSync(path, PRIVATE_FILE);
  }
}

/**
 * Opens a library only to read it, writing nothing and leaving nothing behind, whoever may write to it:
 * - a library that does not exist yet is an empty one, in memory (reading must not create it);
 * - one this process may write to gets an ordinary connection that refuses changes (query_only): a read-only
 *   connection could not remove the -wal/-shm files it creates, and files left by another user (root through sudo)
 *   would lock the owner out of their own library;
 * - one it may not write to, while another process writes it (a -wal is there), is read through SQLite's read-only
 *   connection, which shares that process's journal;
 * - else it is read from a copy in memory: SQLite would need to create -wal/-shm files beside it, with the
 *   library's read-only mode (keeping its owner from writing later), or could not at all in a read-only folder.
 */
function openForReading(file: string, options: OpenOptions): Db {
  const { nativeBinding } = options;
  if (!existsSync(file)) {
    return configured(new Database(':memory:', { nativeBinding }), (db) => migrate(db, file));
  }
  const check = (db: Db) => checkReadable(db, file);
  if (!readOnlyReason(file)) {
    return configured(new Database(file, { nativeBinding, fileMustExist: true }), (db) => {
      db.pragma('query_only = ON');
      db.pragma('busy_timeout = 5000');
      check(db);
    });
  }
  if (existsSync(`${file}-wal`)) return configured(new Database(file, { nativeBinding, readonly: true }), check);
  const image = readFileSync(file);
  // An in-memory database cannot be in WAL mode: SQLite opens the copy only once its header says rollback journal.
  image[18] = image[19] = 1;
  return configured(new Database(image, { nativeBinding, readonly: true }), check);
}

/** Sets up a new connection, closing it when that fails. */
function configured(db: Db, setUp: (db: Db) => void): Db {
  try {
    setUp(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function refuseNewer(version: number, file: string): void {
  if (version > MIGRATIONS.length) {
    throw new Error(
      `The library ${file} was written by a newer version of Phototag (schema ${version}; this one knows up to ` +
        `${MIGRATIONS.length}). Update Phototag to open it.`,
    );
  }
}

function checkReadable(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  refuseNewer(version, file);
  if (version < MIGRATIONS.length) {
    throw new Error(
      `The library ${file} is from an older Phototag (schema ${version}; this one uses ${MIGRATIONS.length}) and ` +
        'must be upgraded, which only opening it to write does (phototag tag, or the app).',
    );
  }
}

function migrate(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  refuseNewer(version, file);
  if (version === MIGRATIONS.length) return;
  db.transaction(() => {
    for (const sql of MIGRATIONS.slice(version)) db.exec(sql);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
