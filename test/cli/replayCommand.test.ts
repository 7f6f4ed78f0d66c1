import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FileTarget } from '../../src/config/ExporterTarget.js';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { FileTraceExporter } from '../../src/exporters/file/FileTraceExporter.js';
import { replayCapture } from '../../src/capture/replayCapture.js';
import { silentLogger } from '../../src/logger.js';
import { makeCerts } from '../support/certs.js';
import { OtlpSink } from '../support/OtlpSink.js';
import { type PlainSpan, plainSpansFromJson } from '../support/plainSpans.js';
import { sampleSpans } from '../exporters/file/sampleSpans.js';
import { REPO_ROOT, runCli } from './runCli.js';
import { tempDirs } from '../support/tempDirs.js';

const FIXTURE = 'test/fixtures/view-capture';
let sink: OtlpSink;
const tempDir = tempDirs('tracepipe-replay-');

before(async () => {
  sink = await OtlpSink.start();
});
after(() => sink.close());

/** The spans of a capture directory decoded independently (protobufjs), in file order. */
async function captured(dir: string): Promise<PlainSpan[]> {
  const out: PlainSpan[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.trace')).sort()) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line !== '') out.push(...plainSpansFromJson(line));
  }
  return out;
}

function comparable(spans: PlainSpan[]): Array<Omit<PlainSpan, 'raw'>> {
  return spans.map(({ raw: _raw, ...rest }) => rest).sort((a, b) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
}

test('replay of a fixture capture: the gRPC sink receives exactly the captured spans', async () => {
  sink.clear();
  const { code, stdout, stderr } = await runCli(['replay', FIXTURE, '--to', sink.grpcUrl]);
  assert.equal(stderr, '');
  assert.equal(stdout, 'replayed 5 spans, failed 0\n');
  assert.equal(code, 0);
  assert.deepEqual(comparable(sink.spans), comparable(await captured(join(REPO_ROOT, FIXTURE))));
});

test('spans -> file exporter -> replayCapture -> sink: ids, timestamps, resources and scopes intact', async () => {
  sink.clear();
  const dir = await tempDir();
  const exporter = new FileTraceExporter(parseExporterUrl(`file://${dir}?limit=4000`) as FileTarget, { stats: new PipelineStats(), logger: silentLogger });
  const spans = await sampleSpans();
  await exporter.export(spans.slice(0, 3));
  await exporter.export(spans.slice(3));
  await exporter.export(spans);
  await exporter.shutdown();
  const progress: number[] = [];
  const result = await replayCapture(dir, parseExporterUrl(sink.grpcUrl), { batchSize: 4, onProgress: (p) => progress.push(p.bytesRead) });
  assert.equal(result.replayed, spans.length * 2);
  assert.equal(result.failed, 0);
  assert.deepEqual(result.problems, []);
  assert.equal(sink.spans.length, spans.length * 2);
  assert.deepEqual(comparable(sink.spans), comparable(await captured(dir)));
  assert.ok(sink.spans.some((s) => s.resource['service.name'] === 'billing' && s.scope.name === 'billing-worker' && s.scope.version === '0.1.0'));
  assert.equal(progress.at(-1), (await Promise.all((await readdir(dir)).map((n) => readFile(join(dir, n))))).reduce((n, b) => n + b.length, 0));
});

test('replay over TLS with --ca-cert', async () => {
  const certs = await makeCerts();
  const tlsSink = await OtlpSink.start({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.caCert } });
  try {
    const { code, stdout, stderr } = await runCli([
      'replay', FIXTURE, '--to', tlsSink.grpcUrl, '--ca-cert', certs.caCert, '--cert', certs.clientCert, '--key', certs.clientKey,
    ]);
    assert.equal(stderr, '');
    assert.equal(stdout, 'replayed 5 spans, failed 0\n');
    assert.equal(code, 0);
    assert.equal(tlsSink.spans.length, 5);
    const half = await runCli(['replay', FIXTURE, '--to', tlsSink.grpcUrl, '--cert', certs.clientCert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--cert and --key must be given together/);
    const missing = join(await tempDir(), 'missing.pem');
    const noCa = await runCli(['replay', FIXTURE, '--to', tlsSink.grpcUrl, '--ca-cert', missing]);
    assert.equal(noCa.code, 2);
    assert.equal(noCa.stderr, `tracepipe: --ca-cert: file ${missing} does not exist [TRACEPIPE_TLS_MATERIAL]\n`);
    const badKey = await runCli(['replay', FIXTURE, '--to', tlsSink.grpcUrl, '--cert', certs.clientCert, '--key', certs.clientCert]);
    assert.equal(badKey.code, 2);
    assert.equal(badKey.stderr, `tracepipe: --key: file ${certs.clientCert} holds no usable PEM private key [TRACEPIPE_TLS_MATERIAL]\n`);
    const mismatched = await runCli(['replay', FIXTURE, '--to', tlsSink.grpcUrl, '--cert', certs.otherClientCert, '--key', certs.clientKey]);
    assert.equal(mismatched.code, 2);
    assert.equal(
      mismatched.stderr,
      `tracepipe: --cert/--key: --key ${certs.clientKey} does not match the certificate in --cert ${certs.otherClientCert} [TRACEPIPE_TLS_MATERIAL]\n`,
    );
    assert.equal(tlsSink.spans.length, 5);
  } finally {
    await tlsSink.close();
  }
});

test('failed exports and unreadable lines are counted and give a non-zero exit', async () => {
  sink.clear();
  const dir = await tempDir();
  const good = await readFile(join(REPO_ROOT, FIXTURE, '1700000000300000000-0a1b2c3d.trace'), 'utf8');
  await writeFile(join(dir, '1-a.trace'), `${good}{"resourceSpans":[{oops}]}\n`);
  sink.failNext(1, 'INVALID_ARGUMENT');
  const { code, stdout, stderr } = await runCli(['replay', dir, '--to', sink.grpcUrl, '--timeout', '5s']);
  assert.equal(code, 1);
  const lines = stdout.split('\n');
  assert.equal(lines.at(-1), '');
  assert.equal(lines.at(-2), 'replayed 2 spans, failed 2');
  assert.match(stderr, /1-a\.trace:3 is not JSON/);
  assert.match(stderr, /export to grpc:\/\/localhost:\d+ failed/);
  assert.equal(sink.spans.length, 2);
});

test('a Teleport capture replays as standard OTLP: hex ids, enum values, resource and scope kept', async () => {
  sink.clear();
  const { code, stdout } = await runCli(['replay', 'test/fixtures/teleport', '--to', sink.grpcUrl]);
  assert.equal(stdout, 'replayed 2 spans, failed 0\n');
  assert.equal(code, 0);
  const spans = comparable(sink.spans);
  assert.deepEqual(
    spans.map((s) => [s.traceId, s.spanId, s.parentSpanId, s.name, s.kind, s.status, s.startTimeUnixNano, s.scope.name]),
    [
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', '', 'auth/GenerateUserCerts', 2, { code: 1, message: '' }, '1700000000000000000', 'teleport-auth'],
      ['0af7651916cd43dd8448eb211c80319c', 'c7ad6b7169203332', 'b7ad6b7169203331', 'backend/Get', 3, { code: 2, message: 'not found' }, '1700000000010000000', 'teleport-auth'],
    ],
  );
  assert.deepEqual(spans[0]!.resource, { 'service.name': 'teleport', 'teleport.host_id': '7f3e', 'process.pid': 4242 });
  assert.deepEqual(spans[0]!.attributes.tags, ['a', 'b']);
  assert.deepEqual(spans[0]!.attributes.meta, { k: 'v' });
  assert.deepEqual(spans[0]!.attributes.blob, Buffer.from([0, 1, 255]));
});

test('replay --to file:///dir rewrites a capture as OTLP/JSON lines with the same spans', async () => {
  const out = await tempDir();
  const { code, stdout } = await runCli(['replay', FIXTURE, '--to', `file://${out}`]);
  assert.equal(stdout, 'replayed 5 spans, failed 0\n');
  assert.equal(code, 0);
  assert.deepEqual(comparable(await captured(out)), comparable(await captured(join(REPO_ROOT, FIXTURE))));
});
