import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MediaService } from '../../src-main/api/media-service.js';
import { Library } from '../../src-main/library/library.js';
import { APP_URL, appProtocolHandler, mediaProtocolHandler } from '../../src-main/shell/protocol-handlers.js';
import { photo, tempDir } from '../helpers.js';

describe("the desktop window's app protocol", () => {
  const rendererDir = join(tempDir(), 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Phototag</title>');
  writeFileSync(join(rendererDir, 'assets', 'index-1a2b3c.js'), 'export {};');
  writeFileSync(join(tempDir(), 'secret.txt'), 'not for the page');
  const serve = appProtocolHandler(rendererDir);

  it('serves the app with its strict CSP, and checks index.html on every load', async () => {
    const response = await serve(new Request(APP_URL));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('Content-Type'), 'text/html; charset=utf-8');
    const csp = response.headers.get('Content-Security-Policy') ?? '';
    assert.match(csp, /default-src 'none'; script-src 'self';/);
    assert.match(csp, /img-src [^;]*phototag-media:/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.equal(response.headers.get('X-Content-Type-Options'), 'nosniff');
    assert.equal(response.headers.get('Cache-Control'), 'no-cache');
    assert.equal(await response.text(), '<!doctype html><title>Phototag</title>');
  });

  it('lets the hashed assets be cached for good', async () => {
    const response = await serve(new Request('phototag-app://app/assets/index-1a2b3c.js'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('Cache-Control'), 'public, max-age=31536000, immutable');
  });

  it('serves nothing outside the build folder or under another host', async () => {
    for (const url of [
      'phototag-app://app/..%2fsecret.txt',
      'phototag-app://app/%2e%2e/%2e%2e/etc/passwd',
      'phototag-app://app/missing.js',
      'phototag-app://other/index.html',
    ]) {
      const response = await serve(new Request(url));
      assert.equal(response.status, 404, url);
      assert.equal(response.headers.get('Content-Security-Policy'), null, url);
    }
    assert.equal((await serve(new Request('phototag-app://app/%E0%A4%A'))).status, 400);
    assert.equal((await serve(new Request('phototag-app://app/a%5c..%5csecret.txt'))).status, 400);
  });
});

describe("the desktop window's media protocol", () => {
  let library: Library;
  let folder: string;
  let serve: ReturnType<typeof mediaProtocolHandler>;
  const id = (name: string) => library.repo.photoByPath(join(folder, name))!.id;

  before(async () => {
    const dir = tempDir();
    folder = join(dir, 'photos');
    mkdirSync(folder);
    for (const name of ['parrot.jpg', 'cat.bmp']) cpSync(photo(name), join(folder, name));
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    // Scanned, not tagged: a photo the library knows is served whether or not it has been tagged yet.
    await library.scan(await library.addFolder(folder));
    serve = mediaProtocolHandler(new MediaService(library));
  });
  after(async () => {
    await library?.close();
  });

  it('serves a photo by id with its type, validator and cache rule', async () => {
    const response = await serve(new Request(`phototag-media://media/photo/${id('parrot.jpg')}`));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('Content-Type'), 'image/jpeg');
    assert.equal(response.headers.get('Cache-Control'), 'private, no-cache');
    assert.match(response.headers.get('ETag') ?? '', /^"\d+-\d+"$/);
    assert.equal(response.headers.get('X-Content-Type-Options'), 'nosniff');
    const body = Buffer.from(await response.arrayBuffer());
    assert.ok(body.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])));
  });

  it('answers 404 for what the library does not know, 400 for a path that is no media route', async () => {
    assert.equal((await serve(new Request('phototag-media://media/photo/999999'))).status, 404);
    assert.equal((await serve(new Request(`phototag-media://other/photo/${id('parrot.jpg')}`))).status, 404);
    assert.equal((await serve(new Request('phototag-media://media/..%2f..%2fetc%2fpasswd'))).status, 400);
  });

  it('answers 415 with the reason for a photo that can no longer be shown', async () => {
    writeFileSync(join(folder, 'cat.bmp'), 'BM this is no longer a bitmap');
    const response = await serve(new Request(`phototag-media://media/photo/${id('cat.bmp')}`));
    assert.equal(response.status, 415);
    assert.match(await response.text(), /cat\.bmp/);
  });
});
