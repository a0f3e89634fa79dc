import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ApiService } from '../../src-main/api/api-service.js';
import { openDatabase } from '../../src-main/db/database.js';
import { Library } from '../../src-main/library/library.js';
import { phototag, phototagAsync } from '../cli.js';
import { photo, tempDir, until } from '../helpers.js';

const LOCK = 'tagging-lock';
const MODEL = 'model';

function photoFolder(parent: string, name: string, files: string[]): string {
  const folder = join(parent, name);
  mkdirSync(folder, { recursive: true });
  for (const file of files) copyFileSync(photo(file), join(folder, file));
  return folder;
}

/** What the library's database says, read as another program would. */
function inspect(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  try {
    const lock = db.prepare('SELECT value FROM settings WHERE key = ?').get(LOCK) as { value: string } | undefined;
    return {
      lock: lock ? (JSON.parse(lock.value) as { holder: string; pid: number }) : undefined,
      model: (db.prepare('SELECT value FROM settings WHERE key = ?').get(MODEL) as { value: string } | undefined)
        ?.value,
      folders: (db.prepare('SELECT path FROM folders ORDER BY path').all() as { path: string }[]).map((f) => f.path),
      models: (
        db.prepare('SELECT DISTINCT model_id AS id FROM photos WHERE model_id IS NOT NULL').all() as {
          id: string;
        }[]
      ).map((m) => m.id),
    };
  } finally {
    db.close();
  }
}

function holderOf(dbPath: string) {
  const { holder, pid } = inspect(dbPath).lock ?? {};
  return { holder, pid };
}

/** Leaves a claim in a new library, as a process that is gone would have. */
function leaveClaim(dbPath: string, claim: { pid: number; heartbeatAt: number }): void {
  const db = openDatabase(dbPath);
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(
    LOCK,
    JSON.stringify({ id: 'left-behind', holder: 'phototag tag', hostname: hostname(), ...claim }),
  );
  db.close();
}

const refusal = (holder: string, pid: number, instead = ', or add the folder there') =>
  `phototag: Another Phototag (${holder}, pid ${pid}) is tagging this library; stop it first${instead}.\n`;

describe('one tagging writer per library', () => {
  it('a second phototag refuses while the first is tagging, tags nothing, and reading still works', async () => {
    const dir = tempDir('phototag-lock-');
    const home = join(dir, 'home');
    const db = join(dir, 'library.sqlite');
    const first = photoFolder(dir, 'first', ['dog.jpg', 'parrot.jpg']);
    const second = photoFolder(dir, 'second', ['owl.jpg']);
    const watching = phototagAsync(home, ['watch', first, '--db', db]);
    let output = '';
    const exited = new Promise<number | null>((resolve) => watching.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      watching.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Watching 1 folder(s)')) resolve();
      });
      watching.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then((code) => reject(new Error(`phototag watch exited (${code}) early:\n${output}`)));
    });
    try {
      assert.deepEqual(holderOf(db), { holder: 'phototag watch', pid: watching.pid });
      const refused = phototag(home, ['tag', second, '--db', db, '--model', 'resnet56-cifar10']);
      assert.equal(refused.status, 1, refused.stderr);
      assert.equal(refused.stderr, refusal('phototag watch', watching.pid!));
      assert.deepEqual(inspect(db).folders, [first], 'the refused run added no folder');
      assert.ok(!inspect(db).models.includes('resnet56-cifar10'), 'and tagged nothing with its model');
      // Nor does the library switch models under the one tagging it.
      const switched = phototag(home, ['models', 'use', 'resnet56-cifar10', '--yes', '--db', db]);
      assert.equal(switched.stderr, refusal('phototag watch', watching.pid!, ''));
      assert.equal(switched.status, 1);
      assert.equal(inspect(db).model, undefined, 'the library keeps its model');
      // Reading and correcting are not tagging.
      assert.equal(phototag(home, ['show', first, '--json', '--db', db]).status, 0);
      assert.equal(phototag(home, ['label', join(first, 'dog.jpg'), '--add', 'Rex', '--db', db]).status, 0);
    } finally {
      watching.kill('SIGINT');
    }
    assert.equal(await exited, 0, output);
    assert.equal(inspect(db).lock, undefined, 'the first let go as it stopped');
    assert.equal(phototag(home, ['tag', second, '--db', db]).status, 0);
    assert.equal(phototag(home, ['models', 'use', 'resnet56-cifar10', '--yes', '--db', db]).status, 0);
    assert.equal(inspect(db).model, 'resnet56-cifar10');
  });

  it('takes over a claim whose process is gone', () => {
    const dir = tempDir('phototag-lock-dead-');
    const db = join(dir, 'library.sqlite');
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    leaveClaim(db, { pid: gone, heartbeatAt: Date.now() });
    const folder = photoFolder(dir, 'photos', ['dog.jpg']);
    const result = phototag(join(dir, 'home'), ['tag', folder, '--db', db]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(inspect(db).lock, undefined);
  });

  it('takes over a claim whose heartbeat stopped, even though its pid runs (reused)', () => {
    const dir = tempDir('phototag-lock-stale-');
    const db = join(dir, 'library.sqlite');
    leaveClaim(db, { pid: process.pid, heartbeatAt: Date.now() - 10 * 60_000 });
    const folder = photoFolder(dir, 'photos', ['dog.jpg']);
    const result = phototag(join(dir, 'home'), ['tag', folder, '--db', db]);
    assert.equal(result.status, 0, result.stderr);
  });

  it('leaves the photos a live tagger has in flight to it: only the next tagger puts them back in the queue', async () => {
    const dir = tempDir('phototag-lock-in-flight-');
    const db = join(dir, 'library.sqlite');
    const tagger = Library.open({ dbPath: db });
    let other: Library | undefined;
    const status = () => tagger.repo.photoByPath(join(dir, 'a.jpg'))?.status;
    try {
      const folder = tagger.repo.addFolder(dir);
      tagger.repo.upsertScanned(folder.id, [{ path: join(dir, 'a.jpg'), size: 1000, mtimeMs: 1 }]);
      tagger.claimTagging('serve');
      assert.equal(tagger.repo.claimPending(1).length, 1);
      // What phototag label or a refused phototag tag does while the app tags: opening the library to write.
      other = Library.open({ dbPath: db });
      assert.equal(status(), 'processing', 'opening the library took nothing from the tagger');
      assert.throws(() => other!.claimTagging('phototag tag'), /is tagging this library/);
      assert.equal(status(), 'processing', 'nor did a refused claim');
      await tagger.close();
      other.claimTagging('phototag tag');
      assert.equal(other.repo.photoByPath(join(dir, 'a.jpg'))?.status, 'pending', 'the next tagger takes them up');
    } finally {
      await other?.close();
      await tagger.close();
    }
  });

  it("a holder whose claim was taken over leaves the successor's photos in flight as it winds down", async () => {
    const dir = tempDir('phototag-lock-lost-run-');
    const db = join(dir, 'library.sqlite');
    const folder = photoFolder(dir, 'photos', []);
    for (let i = 0; i < 40; i++) copyFileSync(photo('dog.jpg'), join(folder, `dog-${i}.jpg`));
    const library = Library.open({ dbPath: db });
    const alive = setInterval(() => undefined, 1000);
    const count = (status: string) =>
      library.db.prepare('SELECT COUNT(*) FROM photos WHERE status = ?').pluck().get(status) as number;
    try {
      await library.scan(library.repo.addFolder(folder));
      // Paused after its first photos, the run holds the others it claimed in flight.
      const run = library.tag();
      await until(() => count('done') > 0, 'a first photo is tagged', { everyMs: 10 });
      library.tagging!.pause();
      // As a successor that took over would find them: put back, and claimed again by it.
      const successor = { id: 'successor', holder: 'serve', pid: process.pid, hostname: hostname(), heartbeatAt: 0 };
      const other = openDatabase(db);
      other.prepare('UPDATE settings SET value = ? WHERE key = ?').run(JSON.stringify(successor), LOCK);
      other.close();
      await once(library, 'warning', { signal: AbortSignal.timeout(30_000) });
      await run;
      assert.ok(count('processing') > 0, "the photos in flight stay the successor's");
    } finally {
      clearInterval(alive);
      await library.close();
    }
  });

  it('a holder whose claim was taken over while it stalled stops tagging, says so, and leaves the claim alone', async () => {
    const dir = tempDir('phototag-lock-lost-');
    const db = join(dir, 'library.sqlite');
    const library = Library.open({ dbPath: db });
    // The heartbeat's timer keeps no process alive (a finished command must exit): this does, meanwhile.
    const alive = setInterval(() => undefined, 1000);
    try {
      library.claimTagging('phototag tag');
      const successor = { id: 'successor', holder: 'serve', pid: process.pid, hostname: hostname(), heartbeatAt: 0 };
      const other = openDatabase(db);
      other.prepare('UPDATE settings SET value = ? WHERE key = ?').run(JSON.stringify(successor), LOCK);
      other.close();
      // The next heartbeat finds the claim is not its own any more; the signal only turns a miss into a failure.
      const [message] = (await once(library, 'warning', { signal: AbortSignal.timeout(30_000) })) as [string];
      assert.equal(
        message,
        `This Phototag stopped tagging the library: it stalled, and another Phototag (serve, pid ${process.pid}) took over.`,
      );
    } finally {
      clearInterval(alive);
      await library.close();
    }
    assert.deepEqual(holderOf(db), { holder: 'serve', pid: process.pid }, 'closing let go of nothing else');
  });

  it('serve holds the library while its engine runs: phototag tag --model refuses, and may tag once serve stops', async () => {
    const dir = tempDir('phototag-lock-serve-');
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    const db = join(dir, 'library.sqlite');
    const folder = photoFolder(dir, 'photos', ['dog.jpg']);
    const library = Library.open({ dbPath: db });
    const service = new ApiService(library);
    // The engine's first run (of nothing: serve has no folder yet) ends before the library closes.
    const idle = new Promise<void>((resolve) =>
      service.onEvent((event) => event.type === 'progress' && event.progress.state === 'idle' && resolve()),
    );
    await service.start();
    try {
      assert.deepEqual(holderOf(db), { holder: 'serve', pid: process.pid });
      const refused = phototag(join(dir, 'home'), ['tag', folder, '--db', db, '--model', 'resnet56-cifar10']);
      assert.equal(refused.status, 1, refused.stderr);
      assert.equal(refused.stderr, refusal('serve', process.pid));
      assert.deepEqual(inspect(db).folders, []);
    } finally {
      await idle;
      service.close();
      await library.close();
    }
    assert.equal(inspect(db).lock, undefined, 'serve let go as it closed');
    assert.equal(phototag(join(dir, 'home'), ['tag', folder, '--db', db]).status, 0);
  });
});
