import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src-main/db/database.js';
import { MIGRATIONS } from '../../src-main/db/migrations.js';
import { tempDir } from '../helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const posixModes = { skip: process.platform === 'win32' && 'Windows has no POSIX file modes' };

describe('opening a library database', () => {
  it('creates the library, its journal files and the folders it makes readable by the user only', posixModes, () => {
    const made = join(tempDir(), 'made');
    const file = join(made, 'deeper', 'library.sqlite');
    const db = openDatabase(file);
    try {
      db.prepare("INSERT INTO settings (key, value) VALUES ('k', 'v')").run();
      assert.equal(mode(file), 0o600);
      assert.equal(mode(`${file}-wal`), 0o600);
      assert.equal(mode(`${file}-shm`), 0o600);
      assert.equal(mode(dirname(file)), 0o700);
      assert.equal(mode(made), 0o700);
    } finally {
      db.close();
    }
  });

  it('tightens a library that others can read when it opens it to write, not when it only reads', posixModes, () => {
    const file = join(tempDir(), 'library.sqlite');
    openDatabase(file).close();
    chmodSync(file, 0o644);
    openDatabase(file, { readonly: true }).close();
    assert.equal(mode(file), 0o644, 'reading changes nothing');
    openDatabase(file).close();
    assert.equal(mode(file), 0o600);
  });

  it('refuses a folder given as the library, leaving the folder as it was', posixModes, () => {
    const folder = tempDir();
    chmodSync(folder, 0o755);
    for (const readonly of [false, true]) {
      assert.throws(
        () => openDatabase(folder, { readonly }),
        /is a folder; a library is a file \(such as .*library\.sqlite\)\./,
      );
    }
    assert.equal(mode(folder), 0o755, 'its mode is untouched');
    assert.equal(existsSync(`${folder}-wal`), false, 'no journal beside it');
  });

  it('reads without writing: no migration, no writes, a missing library is an empty one and stays missing', () => {
    const missing = join(tempDir(), 'nowhere', 'library.sqlite');
    const empty = openDatabase(missing, { readonly: true });
    assert.deepEqual(empty.prepare('SELECT COUNT(*) AS n FROM photos').get(), { n: 0 });
    empty.close();
    assert.equal(existsSync(dirname(missing)), false);

    const file = join(tempDir(), 'library.sqlite');
    openDatabase(file).close();
    const reader = openDatabase(file, { readonly: true });
    try {
      assert.throws(() => reader.prepare("INSERT INTO settings (key, value) VALUES ('k', 'v')").run(), /readonly/);
    } finally {
      reader.close();
    }
    assert.equal(existsSync(`${file}-wal`), false, 'the journal files go when the reader closes');
  });

  it('says when a library needs the upgrade a reader cannot make', () => {
    const file = join(tempDir(), 'library.sqlite');
    const old = new Database(file);
    MIGRATIONS.slice(0, 3).forEach((sql) => old.exec(sql));
    old.pragma('user_version = 3');
    old.close();
    assert.throws(
      () => openDatabase(file, { readonly: true }),
      new RegExp(
        `^Error: The library ${file} is from an older Phototag \\(schema 3; this one uses ${MIGRATIONS.length}\\) ` +
          'and must be upgraded, which only opening it to write does \\(phototag tag, or the app\\)\\.$',
      ),
    );
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), 3, 'left as it was');
    check.close();
  });
});
