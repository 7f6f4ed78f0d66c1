import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { WorkloadSample } from '../../benchmarks/workloadWorker.js';
import { spawnJsonWorker } from '../../src/bench/spawnJsonWorker.js';
import { tempDirs } from '../support/tempDirs.js';

const tempDir = tempDirs('tracepipe-workload-');
const WORKER = fileURLToPath(new URL('../../benchmarks/workloadWorker.js', import.meta.url));

/** Spans in every capture line the file exporter wrote under `dir`. */
async function capturedSpans(dir: string): Promise<number> {
  let spans = 0;
  for (const name of await readdir(dir)) {
    for (const line of (await readFile(`${dir}/${name}`, 'utf8')).split('\n')) {
      if (line === '') continue;
      const data = JSON.parse(line) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> };
      for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
    }
  }
  return spans;
}

test('the workload worker runs both pipelines in chunks of 512 and counts what reached the capture file', async () => {
  for (const contender of ['tracepipe', 'stock'] as const) {
    const dir = await tempDir();
    const s = await spawnJsonWorker<WorkloadSample>(WORKER, ['--contender', contender, '--dir', dir, '--duration-ms', '150', '--chunk', '512']);
    assert.equal(s.created % 512, 0, `${contender}: whole chunks`);
    assert.ok(s.created >= 512, `${contender}: created ${s.created}`);
    assert.equal(s.exportedTotal + s.dropped, s.created, `${contender}: delivered + dropped = created`);
    assert.equal(await capturedSpans(dir), s.exportedTotal, `${contender}: every span counted as delivered is in the capture`);
    assert.equal(typeof s.mainThreadCpuUsPerSpan, process.platform === 'linux' ? 'number' : 'undefined');
    if (contender === 'tracepipe') assert.equal(s.dropped, 0);
  }
});
