import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chooseModel, listModels, readManifest, type ModelEntry } from '../../src-main/models/model-catalog.js';
import { pullModel, type DownloadProgress } from '../../src-main/models/model-download.js';
import { MODELS_DIR, tempDir } from '../helpers.js';

// The file served is a real model made by the project (ResNet-20), described by a manifest of its own.
const payload = readFileSync(join(MODELS_DIR, 'resnet20-cifar10', 'model.onnx'));
const sha256 = createHash('sha256').update(payload).digest('hex');
const HALF = Math.floor(payload.length / 2);

type Behaviour = 'normal' | 'drop-first' | 'corrupt' | 'ignore-range' | 'silent' | 'pause-half';
let behaviour: Behaviour = 'normal';
let ranges: (string | undefined)[] = [];
let requests = 0;
/** 'pause-half': sends the rest of the file. */
let sendRest = () => {};

function serve(request: IncomingMessage, response: ServerResponse) {
  requests++;
  ranges.push(request.headers.range);
  if (request.url === '/missing') {
    response.writeHead(404).end();
    return;
  }
  const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const start = match && behaviour !== 'ignore-range' ? Number(match[1]) : 0;
  let body = payload.subarray(start);
  if (behaviour === 'corrupt') {
    body = Buffer.from(body);
    body[body.length >> 1] = 0xff - body[body.length >> 1]!;
  }
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(body.length) };
  if (start)
    response.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${payload.length - 1}/${payload.length}` });
  else response.writeHead(200, headers);
  // Headers, then nothing: a server gone quiet (the connection stays open until the client gives up).
  if (behaviour === 'silent') return void response.flushHeaders();
  if (behaviour === 'pause-half') {
    // Half the file, then nothing until the test says: a slow network between two bursts.
    response.write(body.subarray(0, HALF));
    sendRest = () => response.end(body.subarray(HALF));
    return;
  }
  if (behaviour === 'drop-first' && requests === 1) {
    // Send a third of the file, then cut the connection as a flaky network would.
    response.write(body.subarray(0, body.length / 3), () => response.socket?.destroy());
    return;
  }
  response.end(body);
}

const server = createServer(serve);
let baseUrl = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function testEntry(): ModelEntry {
  const manifest = {
    ...readManifest(join(MODELS_DIR, 'resnet20-cifar10')),
    id: 'test-download',
    size: payload.length,
    sha256,
    defaultPriority: 100,
    download: { url: `${baseUrl}/test-download.onnx` },
  };
  return { manifest, dir: '', modelPath: '', installed: false, embedded: true };
}

function reset(next: Behaviour) {
  behaviour = next;
  ranges = [];
  requests = 0;
}

describe('pulling a model', () => {
  it('downloads with progress, verifies and installs atomically into the per-user folder', async () => {
    reset('normal');
    const userDir = tempDir();
    const progress: DownloadProgress[] = [];
    const entry = await pullModel(testEntry(), { userDir, onProgress: (p) => progress.push(p) });
    assert.equal(entry.installed, true);
    assert.equal(createHash('sha256').update(readFileSync(entry.modelPath)).digest('hex'), sha256);
    assert.ok(progress.length >= 1);
    assert.equal(progress.at(-1)!.received, payload.length);
    assert.ok(progress.every((p, i) => i === 0 || p.received >= progress[i - 1]!.received));
    assert.deepEqual(readdirSync(userDir).sort(), ['.downloads', 'test-download']);
    assert.deepEqual(readdirSync(join(userDir, '.downloads')), []);
    const models = listModels({ embedded: MODELS_DIR, user: userDir });
    assert.equal(chooseModel(models).manifest.id, 'test-download', 'an installed download becomes the default');
  });

  it('reports every byte received before the server paused, not only those up to the last report', async () => {
    reset('pause-half');
    const userDir = tempDir();
    let halfReported = () => {};
    const half = new Promise<void>((resolve) => (halfReported = resolve));
    const pulling = pullModel(testEntry(), {
      userDir,
      retries: 0,
      stallMs: 10_000,
      onProgress: (p) => p.received === HALF && halfReported(),
    });
    // Without the report, the server waits until the transfer is dropped as stalled.
    await Promise.race([half, pulling]);
    sendRest();
    assert.deepEqual(readFileSync((await pulling).modelPath), payload);
  });

  it('resumes a transfer cut off mid-way, within the same call', async () => {
    reset('drop-first');
    const userDir = tempDir();
    const entry = await pullModel(testEntry(), { userDir, retries: 2 });
    assert.equal(requests, 2);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=[1-9]\d*-$/, 'the second request asks only for the rest');
    assert.deepEqual(readFileSync(entry.modelPath), payload);
  });

  it('keeps an interrupted download and resumes it on the next run', async () => {
    reset('drop-first');
    const userDir = tempDir();
    await assert.rejects(
      pullModel(testEntry(), { userDir, retries: 0 }),
      /interrupted at .* \(the connection to 127\.0\.0\.1:\d+ was cut\)\. Run the same command again/,
    );
    assert.equal(existsSync(join(userDir, 'test-download')), false, 'nothing installed yet');
    const [part] = readdirSync(join(userDir, '.downloads'));
    const kept = readFileSync(join(userDir, '.downloads', part!)).length;
    assert.ok(kept > 0 && kept < payload.length);
    const entry = await pullModel(testEntry(), { userDir });
    assert.equal(ranges.at(-1), `bytes=${kept}-`);
    assert.deepEqual(readFileSync(entry.modelPath), payload);
  });

  it('starts over when the server ignores the range', async () => {
    reset('drop-first');
    const userDir = tempDir();
    await assert.rejects(pullModel(testEntry(), { userDir, retries: 0 }));
    behaviour = 'ignore-range';
    const entry = await pullModel(testEntry(), { userDir });
    assert.deepEqual(readFileSync(entry.modelPath), payload);
  });

  it('refuses a corrupted transfer and installs nothing', async () => {
    reset('corrupt');
    const userDir = tempDir();
    await assert.rejects(pullModel(testEntry(), { userDir }), (error: Error) => {
      assert.match(error.message, /download of test-download is corrupt: its sha256 is [0-9a-f]{64}, expected/);
      assert.match(error.message, /Nothing was installed/);
      return true;
    });
    assert.deepEqual(readdirSync(userDir), ['.downloads']);
    assert.deepEqual(readdirSync(join(userDir, '.downloads')), []);
    const models = listModels({ embedded: MODELS_DIR, user: userDir });
    assert.notEqual(chooseModel(models).manifest.id, 'test-download');
  });

  it('says what failed and the host it tried: an HTTP status, a DNS lookup, a refused connection, a silent server', async () => {
    reset('normal');
    const userDir = tempDir();
    const at = (url: string) => {
      const entry = testEntry();
      return { ...entry, manifest: { ...entry.manifest, download: { url } } };
    };
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const refusing = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const host = baseUrl.slice('http://'.length);
    const failures: [string, RegExp][] = [
      [
        `${baseUrl}/missing`,
        /^Cannot download test-download: the server answered HTTP 404 for http:\/\/.+\/missing\.$/,
      ],
      // .invalid never resolves (RFC 2606): offline or not, the lookup fails.
      [
        'http://phototag-test.invalid/model.onnx',
        /^Cannot download test-download: the DNS lookup of phototag-test\.invalid /,
      ],
      [
        `http://${refusing}/model.onnx`,
        new RegExp(`^Cannot download test-download: ${refusing} refused the connection`),
      ],
    ];
    for (const [url, message] of failures) {
      await assert.rejects(pullModel(at(url), { userDir, retries: 0 }), (error: Error) => {
        assert.match(error.message, message);
        return true;
      });
    }
    reset('silent');
    await assert.rejects(
      pullModel(testEntry(), { userDir, retries: 0, stallMs: 200 }),
      new RegExp(`^Error: Cannot download test-download: ${host} sent nothing for 0\\.2 s \\(timed out\\)\\.$`),
    );
    assert.deepEqual(readdirSync(userDir), ['.downloads']);
  });
});
