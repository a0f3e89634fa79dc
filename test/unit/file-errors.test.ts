import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileErrorSentence, fileInTheWay } from '../../src-main/file-errors.js';
import { tempDir } from '../helpers.js';

/** The error a real file-system call throws. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  assert.fail('the call did not fail');
}

describe('file-system errors in words', () => {
  const root = tempDir();
  const file = join(root, 'notes.txt');
  writeFileSync(file, 'text');

  it('says what a folder opened as a file, or any other errno, means in words, never as node words it', () => {
    const opened = thrown(() => readdirSync(file));
    assert.equal(fileErrorSentence(opened), `Cannot read the folder ${file}: it is not a folder.`);
    const folderAsFile = thrown(() => writeFileSync(root, 'text'));
    assert.equal(fileErrorSentence(folderAsFile), `Cannot open ${root}: it is a folder, not a file.`);
    const unknown = Object.assign(new Error("EWHAT: something odd happened, open '/x'"), {
      code: 'EWHAT',
      syscall: 'open',
      path: '/x',
    });
    assert.equal(fileErrorSentence(unknown), 'Cannot open /x: something odd happened.');
  });

  it('names the file in the way of a folder, instead of ENOTDIR', () => {
    const error = thrown(() => mkdirSync(join(file, 'sub', 'deeper'), { recursive: true }));
    assert.equal(
      fileErrorSentence(error),
      `Cannot create the folder ${join(file, 'sub', 'deeper')}: ${file} is a file, not a folder.`,
    );
    assert.equal(fileInTheWay(join(file, 'sub')), file);
    assert.equal(fileInTheWay(join(root, 'new', 'sub')), undefined);
  });

  it('says a folder cannot be made where the folder it goes in is missing, instead of ENOENT', () => {
    const path = join(root, 'missing', 'dataset');
    assert.equal(
      fileErrorSentence(thrown(() => mkdirSync(path))),
      `Cannot create the folder ${path}: the folder it goes in does not exist, or cannot hold it.`,
    );
    const gone = join(root, 'gone');
    assert.equal(
      fileErrorSentence(thrown(() => readdirSync(gone))),
      `Cannot read the folder ${gone}: it does not exist.`,
    );
  });

  it("leaves errors that are not the file system's to their own words", () => {
    assert.equal(fileErrorSentence(new Error('Unknown model "nope".')), undefined);
  });
});
