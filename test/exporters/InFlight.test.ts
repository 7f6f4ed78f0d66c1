import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportError } from '../../src/errors.js';
import { InFlight } from '../../src/exporters/InFlight.js';

/** A promise and the function that settles it. */
function deferred(): { promise: Promise<string>; resolve: (value: string) => void; reject: (error: Error) => void } {
  let resolve!: (value: string) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('InFlight', () => {
  it('passes each call its own outcome', async () => {
    const inFlight = new InFlight('grpc test:1');
    assert.equal(await inFlight.run(async () => 'answer'), 'answer');
    await assert.rejects(inFlight.run(async () => Promise.reject(new Error('refused'))), { message: 'refused' });
  });

  it('settled() waits for every call under way, failed ones too', async () => {
    const inFlight = new InFlight('grpc test:1');
    const ok = deferred();
    const bad = deferred();
    const calls = [inFlight.run(() => ok.promise), inFlight.run(() => bad.promise)];
    calls[1]!.catch(() => {});
    let settled = false;
    const flushed = inFlight.settled().then(() => (settled = true));
    ok.resolve('done');
    await ok.promise;
    assert.equal(settled, false, 'settled() returned while a call was still under way');
    bad.reject(new Error('refused'));
    await flushed;
    assert.equal(settled, true);
  });

  it('close() lets calls under way finish, releases once after them, and refuses new calls', async () => {
    const inFlight = new InFlight('grpc test:1');
    const call = deferred();
    const running = inFlight.run(() => call.promise);
    let releases = 0;
    const first = inFlight.close(() => releases++);
    const second = inFlight.close(() => releases++);
    await assert.rejects(inFlight.run(async () => 'late'), (error: unknown) => {
      assert.ok(error instanceof ExportError);
      assert.equal(error.code, 'TRACEPIPE_EXPORTER_SHUTDOWN');
      assert.equal(error.retryable, false);
      assert.equal(error.message, 'grpc test:1 is shut down');
      return true;
    });
    assert.equal(releases, 0, 'released while a call was under way');
    call.resolve('done');
    assert.equal(await running, 'done');
    await Promise.all([first, second]);
    assert.equal(releases, 1);
    await inFlight.close(() => releases++);
    assert.equal(releases, 1);
  });
});
