import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Library } from '../../src-main/library/library.js';
import { startWebServer, type WebServer } from '../../src-main/web/web-server.js';
import { photo, tempDir } from '../helpers.js';
import { writeHostileFiles } from '../hostile-files.js';
import { assertBuilt } from '../e2e/serve-process.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Present the server's token as a Bearer header (the default), or send no credentials at all. */
  credentials?: 'token' | 'none';
}

/**
 * A raw HTTP request: the path goes out exactly as written (fetch would normalise "../" away). It carries the
 * server's token unless told otherwise, as every request from the browser carries its cookie.
 */
function send(server: WebServer, path: string, options: SendOptions = {}): Promise<Reply> {
  const credentials = options.credentials === 'none' ? {} : { Authorization: `Bearer ${server.token}` };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: options.method ?? 'GET',
        headers: { ...credentials, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const post = (server: WebServer, method: string, body: string, options: SendOptions = {}) =>
  send(server, `/api/${method}`, {
    ...options,
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...options.headers },
  });

/** What a traversal could reach: a file beside the library, the app's own package.json, the system's passwd. */
const SECRETS = ['phototag-secret-marker', '"name": "phototag"', 'root:x:0:0'];
const assertNoLeak = (reply: Reply, what: string) => {
  const text = reply.body.toString('latin1');
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${what} leaked "${secret}"`);
};

describe('web mode security', () => {
  const dir = tempDir('phototag-web-security-');
  const home = join(dir, 'home');
  let library: Library;
  let server: WebServer;
  let ids: { jpeg: number; bmp: number; failed: number; removed: number };
  let previousHome: string | undefined;

  before(async () => {
    assertBuilt();
    previousHome = process.env.PHOTOTAG_HOME;
    process.env.PHOTOTAG_HOME = home;
    const kept = join(dir, 'kept');
    const dropped = join(dir, 'dropped');
    mkdirSync(kept);
    mkdirSync(dropped);
    copyFileSync(photo('dog.jpg'), join(kept, 'dog.jpg'));
    copyFileSync(photo('cat.bmp'), join(kept, 'cat.bmp'));
    copyFileSync(photo('owl.jpg'), join(dropped, 'owl.jpg'));
    const hostile = join(dir, 'hostile');
    mkdirSync(hostile);
    writeHostileFiles(hostile);
    copyFileSync(join(hostile, 'notes.jpg'), join(kept, 'notes.jpg'));
    // What a path traversal would be after: a file beside the library folders, in no library folder.
    writeFileSync(join(dir, 'secret.txt'), 'phototag-secret-marker\n');

    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    for (const path of [kept, dropped]) await library.scan(await library.addFolder(path));
    await library.tag();
    const id = (path: string) => library.repo.photoByPath(path)!.id;
    ids = {
      jpeg: id(join(kept, 'dog.jpg')),
      bmp: id(join(kept, 'cat.bmp')),
      failed: id(join(kept, 'notes.jpg')),
      removed: id(join(dropped, 'owl.jpg')),
    };
    server = await startWebServer({ library, port: 0, startEngine: false });
    const droppedId = library.repo.folders().find((folder) => folder.path === dropped)!.id;
    const removed = await post(server, 'removeFolder', JSON.stringify({ folderId: droppedId }));
    assert.equal(removed.status, 200, removed.body.toString());
  });

  after(async () => {
    await server?.close();
    await library?.close();
    if (previousHome === undefined) delete process.env.PHOTOTAG_HOME;
    else process.env.PHOTOTAG_HOME = previousHome;
  });

  describe('media routes', () => {
    it('serve thumbnails and photos the library knows, with strict headers', async () => {
      const thumb = await send(server, `/media/thumb/${ids.jpeg}`);
      assert.equal(thumb.status, 200);
      assert.equal(thumb.headers['content-type'], 'image/jpeg');
      assert.equal(thumb.headers['x-content-type-options'], 'nosniff');
      assert.match(String(thumb.headers['content-security-policy']), /sandbox/);
      assert.deepEqual([...thumb.body.subarray(0, 3)], [0xff, 0xd8, 0xff]);

      const original = await send(server, `/media/photo/${ids.jpeg}`);
      assert.equal(original.status, 200);
      assert.equal(original.headers['content-type'], 'image/jpeg');
      assert.ok(original.body.equals(readFileSync(photo('dog.jpg'))), 'the original bytes');

      const converted = await send(server, `/media/photo/${ids.bmp}`);
      assert.equal(converted.status, 200);
      assert.equal(converted.headers['content-type'], 'image/jpeg', 'a BMP is converted for the browser');
      assert.deepEqual([...converted.body.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    });

    it('refuse traversal, encoded paths, absolute paths and anything but a numeric id', async () => {
      const attempts = [
        '/media/thumb/../../secret.txt',
        '/media/photo/../../../../../../etc/passwd',
        '/media/photo/%2e%2e%2f%2e%2e%2fsecret.txt',
        '/media/photo/%2e%2e/%2e%2e/secret.txt',
        '/media/photo/%252e%252e%252fsecret.txt',
        '/media/photo/..%2f..%2f..%2fetc%2fpasswd',
        '/media/photo/..%5c..%5csecret.txt',
        `/media/photo/${encodeURIComponent(join(dir, 'secret.txt'))}`,
        `/media/photo/${join(dir, 'secret.txt')}`,
        '/media/photo//etc/passwd',
        '/media/thumb/abc',
        '/media/thumb/1.5',
        '/media/thumb/-1',
        '/media/thumb/0',
        `/media/thumb/0${ids.jpeg}`,
        '/media/thumb/1e3',
        `/media/thumb/${ids.jpeg}/`,
        `/media/thumb/${ids.jpeg}%00`,
        `/media/thumb/${ids.jpeg}/../../secret.txt`,
        '/media/thumb/99999999',
        '/media/file/1',
        '/media/',
        '/media',
        '/../secret.txt',
        '/../../package.json',
        '/..%2f..%2fpackage.json',
        '/%2e%2e%2f%2e%2e%2fpackage.json',
        '/assets/..%2f..%2f..%2fpackage.json',
        '/%252e%252e%252f%252e%252e%252fpackage.json',
        '/..%5c..%5cpackage.json',
        '/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
        '/%2e%2e/secret.txt',
        '/%2e%2e%2f%2e%2e%2fsecret.txt',
        '/assets/..%2f..%2f..%2fsecret.txt',
        '/..%5c..%5csecret.txt',
        '/%252e%252e/secret.txt',
        '/assets/',
        '/assets',
      ];
      for (const path of attempts) {
        const reply = await send(server, path);
        assert.ok([400, 404].includes(reply.status), `${path} answered ${reply.status}`);
        assertNoLeak(reply, path);
      }
    });

    it('refuse photos of a removed folder and photos that are not images', async () => {
      for (const kind of ['thumb', 'photo']) {
        for (const id of [ids.removed, ids.failed]) {
          const reply = await send(server, `/media/${kind}/${id}`);
          assert.equal(reply.status, 404, `${kind}/${id}`);
          assert.ok(!reply.body.toString().includes('holiday notes'), 'the text file behind a failed photo');
        }
      }
    });
  });

  describe('the app itself', () => {
    it('is served with a strict Content-Security-Policy and without directory listings', async () => {
      const index = await send(server, '/');
      assert.equal(index.status, 200);
      const csp = String(index.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(index.headers['x-content-type-options'], 'nosniff');
      assert.equal(index.headers['x-frame-options'], 'DENY');
    });

    it('answers only to its loopback name, even with the token, and refuses other sites', async () => {
      const rebound = await send(server, '/', { headers: { Host: 'attacker.example:80' } });
      assert.equal(rebound.status, 403);
      const crossSite = await post(server, 'summary', '{}', { headers: { 'Sec-Fetch-Site': 'cross-site' } });
      assert.equal(crossSite.status, 403);
      const otherOrigin = await post(server, 'summary', '{}', { headers: { Origin: 'http://attacker.example' } });
      assert.equal(otherOrigin.status, 403);
      const simpleRequest = await send(server, '/api/summary', {
        method: 'POST',
        body: '{}',
        headers: { 'Content-Type': 'text/plain' },
      });
      assert.equal(simpleRequest.status, 415, 'a form or no-cors request cannot reach the API');
    });
  });

  describe('malformed API requests', () => {
    const cases: [string, string, string, number, RegExp][] = [
      ['an unknown method', 'deleteEverything', '{}', 400, /Unknown API method "deleteEverything"/],
      ['a body that is not JSON', 'queryPhotos', '{"filter": ', 400, /not valid JSON/],
      ['a wrong type', 'queryPhotos', '{"offset": "ten"}', 400, /offset: .*number/],
      ['a value out of range', 'tags', '{"minScore": 7}', 400, /minScore/],
      ['a missing field', 'photo', '{}', 400, /id: .*(required|number)/i],
      ['an unknown field', 'summary', '{"drop": true}', 400, /drop/],
      ['a nested wrong type', 'queryPhotos', '{"filter": {"tags": [{"kind": "emoji", "id": "x"}]}}', 400, /kind/],
      ['a JSON array', 'addFolder', '[]', 400, /Invalid addFolder request/],
      ['a relative folder path', 'addFolder', '{"path": "../etc"}', 400, /full path/],
      ['a folder that does not exist', 'addFolder', '{"path": "/no/such/folder"}', 409, /does not exist/],
      ['an unknown photo', 'photo', '{"id": 424242}', 404, /no photo with id 424242/],
    ];
    for (const [what, method, body, status, message] of cases) {
      it(`gets a clear error for ${what}`, async () => {
        const reply = await post(server, method, body);
        assert.equal(reply.status, status, reply.body.toString());
        const answer = JSON.parse(reply.body.toString()) as { error: { code: string; message: string } };
        assert.match(answer.error.message, message);
        assert.equal(typeof answer.error.code, 'string');
      });
    }

    it('refuses GET on API methods and oversized bodies', async () => {
      assert.equal((await send(server, '/api/summary')).status, 405);
      const huge = await post(server, 'summary', JSON.stringify({ pad: 'x'.repeat(100_000) }));
      assert.equal(huge.status, 413);
    });
  });

  /**
   * Wherever the server listens, loopback included: any local user of a shared machine can reach a loopback port,
   * and through the API every file the server's user can read. The cookie differs: a browser keeps a Secure one
   * on http:// only for loopback.
   */
  const listeners = [
    {
      where: 'loopback',
      host: '127.0.0.1',
      cookie: (port: number) => `__Host-phototag_token_${port}`,
      attributes: ['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure'],
    },
    {
      where: 'every interface',
      host: '0.0.0.0',
      cookie: (port: number) => `phototag_token_${port}`,
      attributes: ['HttpOnly', 'Path=/', 'SameSite=Strict'],
    },
  ];
  for (const listener of listeners) {
    describe(`the access token, listening on ${listener.where}`, () => {
      let target: WebServer;
      // On every interface too, the test connects through 127.0.0.1: this machine only lets loopback traffic in.
      before(async () => {
        target = await startWebServer({ library, host: listener.host, port: 0, startEngine: false });
      });
      after(() => target?.close());

      it('prints a URL carrying a fresh token', () => {
        assert.ok(target.token.length >= 32);
        assert.notEqual(target.token, server.token);
        assert.ok(target.url.endsWith(`/?token=${target.token}`), target.url);
      });

      it('refuses every request without the token, or with a wrong one', async () => {
        const wrongs: Record<string, string>[] = [
          {},
          { Authorization: 'Bearer wrong' },
          { Authorization: `Basic ${target.token}` },
          { Cookie: `${listener.cookie(target.port)}=wrong` },
          { Cookie: `phototag_token_1=${target.token}` },
        ];
        for (const [path, method] of [
          ['/', 'GET'],
          ['/index.html', 'GET'],
          ['/api/summary', 'POST'],
          ['/api/addFolder', 'POST'],
          ['/api/exportDataset', 'POST'],
          ['/api/events', 'GET'],
          [`/media/thumb/${ids.jpeg}`, 'GET'],
          [`/media/photo/${ids.jpeg}`, 'GET'],
          ['/media/photo/../../secret.txt', 'GET'],
        ] as const) {
          for (const headers of wrongs) {
            const reply = await send(target, path, {
              method,
              credentials: 'none',
              headers: { 'Content-Type': 'application/json', ...headers },
            });
            assert.equal(reply.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
            assertNoLeak(reply, path);
          }
        }
        const wrongQuery = await send(target, `/?token=${'x'.repeat(target.token.length)}`, { credentials: 'none' });
        assert.equal(wrongQuery.status, 401);
      });

      it('accepts the token in an Authorization header, whatever the case of its scheme', async () => {
        for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
          const headers = { Authorization: `${scheme} ${target.token}` };
          const summary = await post(target, 'summary', '{}', { credentials: 'none', headers });
          assert.equal(summary.status, 200, scheme);
          const thumb = await send(target, `/media/thumb/${ids.jpeg}`, { credentials: 'none', headers });
          assert.equal(thumb.status, 200, scheme);
        }
      });

      it('turns the token link into a cookie for this port alone and takes it out of the address', async () => {
        const link = await send(target, `/?token=${target.token}`, { credentials: 'none' });
        assert.equal(link.status, 303);
        assert.equal(link.headers.location, '/');
        const [cookie, ...attributes] = String(link.headers['set-cookie']).split('; ');
        assert.equal(cookie, `${listener.cookie(target.port)}=${target.token}`);
        assert.deepEqual(attributes.sort(), listener.attributes, 'no Domain: the cookie stays with this host');
        const page = await send(target, '/', { credentials: 'none', headers: { Cookie: cookie! } });
        assert.equal(page.status, 200);
        assert.match(page.body.toString(), /<div id="app">/);
      });

      it('keeps the token redirect on this origin, whatever the path', async () => {
        const origin = `http://127.0.0.1:${target.port}`;
        const tricky = [
          '/.//evil.example/',
          '//evil.example/',
          '///evil.example/',
          '/./..//evil.example/',
          '/%2e//evil.example/',
          '/%2E%2E//evil.example/',
          '/\\evil.example/',
          '/\\/evil.example/',
          '/.\\/evil.example/',
          '/%5C/evil.example/',
          '/%2F/evil.example/',
        ];
        for (const path of tricky) {
          const link = await send(target, `${path}?token=${target.token}`, { credentials: 'none' });
          assert.equal(link.status, 303, path);
          const location = String(link.headers.location);
          assert.match(location, /^\/(?![/\\])/, `${path} redirected to ${location}`);
          assert.equal(new URL(location, `${origin}${path}`).origin, origin, `${path} redirected to ${location}`);
        }
        const kept = await send(target, `/index.html?view=grid&token=${target.token}`, { credentials: 'none' });
        assert.equal(kept.headers.location, '/index.html?view=grid', 'an ordinary path and its other parameters');
      });

      it('still refuses traversal to someone who has the token', async () => {
        for (const path of ['/media/photo/%2e%2e%2fsecret.txt', '/../secret.txt', `/media/thumb/${ids.removed}`]) {
          const reply = await send(target, path);
          assert.ok([400, 404].includes(reply.status), `${path} answered ${reply.status}`);
          assertNoLeak(reply, path);
        }
      });
    });
  }
});
