import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerClient } from '../../src-main/worker-client.js';

const echo = () => new WorkerClient<string>(import.meta.url, 'worker-client-echo', undefined, 'The echo worker');

describe('a worker client', () => {
  it('fails what waits when its worker stops, and everything asked after at once', async () => {
    const client = echo();
    try {
      assert.equal(await client.request('hello'), 'hello');
      const waiting = assert.rejects(client.request('wait'), /stopped/);
      await assert.rejects(client.request('exit'), /The echo worker stopped \(exit code 3\)\./);
      await waiting;
      assert.equal(client.running, false);
      await assert.rejects(client.request('hello'), /The echo worker stopped/);
    } finally {
      await client.dispose();
    }
  });

  it('fails what waits when it is closed, instead of leaving it unsettled', async () => {
    const client = echo();
    const waiting = assert.rejects(client.request('wait'), /The echo worker was closed\./);
    await client.dispose();
    await waiting;
    await assert.rejects(client.request('hello'), /was closed/);
  });
});
