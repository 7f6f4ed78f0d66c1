import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { parseExporterUrl } from '../../src/config/parseExporterUrl.js';
import { ConfigError } from '../../src/errors.js';

test('exporter_url forms map to the exporter they select', () => {
  const cases: Array<[string, unknown]> = [
    ['collector:4317', { kind: 'grpc', address: 'collector:4317', compression: 'none', url: 'collector:4317' }],
    ['127.0.0.1:55680', { kind: 'grpc', address: '127.0.0.1:55680', compression: 'none', url: '127.0.0.1:55680' }],
    ['grpc://collector.example.com:4317', { kind: 'grpc', address: 'collector.example.com:4317', compression: 'none', url: 'grpc://collector.example.com:4317' }],
    ['grpc://collector', { kind: 'grpc', address: 'collector:4317', compression: 'none', url: 'grpc://collector' }],
    ['grpc://c:1?compression=gzip', { kind: 'grpc', address: 'c:1', compression: 'gzip', url: 'grpc://c:1?compression=gzip' }],
    [
      'http://collector:4318',
      { kind: 'http', endpoint: 'http://collector:4318/v1/traces', secure: false, encoding: 'protobuf', compression: 'none', url: 'http://collector:4318' },
    ],
    [
      'https://collector/',
      { kind: 'http', endpoint: 'https://collector/v1/traces', secure: true, encoding: 'protobuf', compression: 'none', url: 'https://collector/' },
    ],
    [
      'https://collector:443/custom/path?encoding=json&compression=gzip',
      {
        kind: 'http',
        endpoint: 'https://collector/custom/path',
        secure: true,
        encoding: 'json',
        compression: 'gzip',
        url: 'https://collector:443/custom/path?encoding=json&compression=gzip',
      },
    ],
    ['file:///var/lib/tracepipe/traces', { kind: 'file', dir: '/var/lib/tracepipe/traces', limitBytes: 104857600, maxFiles: undefined, maxLineBytes: 1048576, url: 'file:///var/lib/tracepipe/traces' }],
    ['file:///tmp/t?limit=1000&max_files=3', { kind: 'file', dir: '/tmp/t', limitBytes: 1000, maxFiles: 3, maxLineBytes: 1048576, url: 'file:///tmp/t?limit=1000&max_files=3' }],
    ['file:///tmp/t?max_line_bytes=65536', { kind: 'file', dir: '/tmp/t', limitBytes: 104857600, maxFiles: undefined, maxLineBytes: 65536, url: 'file:///tmp/t?max_line_bytes=65536' }],
    ['file://./traces', { kind: 'file', dir: resolve('traces'), limitBytes: 104857600, maxFiles: undefined, maxLineBytes: 1048576, url: 'file://./traces' }],
    ['file:///tmp/with%20space', { kind: 'file', dir: '/tmp/with space', limitBytes: 104857600, maxFiles: undefined, maxLineBytes: 1048576, url: 'file:///tmp/with%20space' }],
  ];
  for (const [url, expected] of cases) assert.deepEqual(parseExporterUrl(url), expected, url);
});

test('bad exporter_url values are errors that name the key and the value', () => {
  const cases: Array<[string, string, string]> = [
    [
      'ftp://collector:21',
      'TRACEPIPE_UNSUPPORTED_SCHEME',
      'tracing_service.exporter_url has unsupported scheme "ftp://" in "ftp://collector:21"; supported: grpc://, http://, https://, file://, host:port (gRPC)',
    ],
    [
      'collector',
      'TRACEPIPE_UNSUPPORTED_SCHEME',
      'tracing_service.exporter_url must be a URL with one of the schemes grpc://, http://, https://, file://, host:port (gRPC), got "collector"',
    ],
    ['file:///tmp/t?limit=0', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url query parameter limit must be a positive integer, got "0" in "file:///tmp/t?limit=0"'],
    ['file:///tmp/t?limit=1.5', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url query parameter limit must be a positive integer, got "1.5" in "file:///tmp/t?limit=1.5"'],
    ['file:///tmp/t?limit=-5', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url query parameter limit must be a positive integer, got "-5" in "file:///tmp/t?limit=-5"'],
    ['file:///tmp/t?max_files=x', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url query parameter max_files must be a positive integer, got "x" in "file:///tmp/t?max_files=x"'],
    ['file:///tmp/t?limt=5', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url has unknown query parameter "limt" in "file:///tmp/t?limt=5"; allowed: limit, max_files, max_line_bytes'],
    ['file:///tmp/t?max_line_bytes=1023', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url query parameter max_line_bytes must be an integer of at least 1024, got "1023" in "file:///tmp/t?max_line_bytes=1023"'],
    ['http://c/v1/traces?encoding=xml', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url query parameter encoding must be one of protobuf, json, got "xml"'],
    ['grpc://c:4317/v1/traces', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url must not have a path for gRPC (the service is fixed by OTLP), got "grpc://c:4317/v1/traces"'],
    ['file://', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url must name a directory, got "file://"'],
    ['file:///tmp/100%', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url has a malformed %-escape in its path, got "file:///tmp/100%"'],
    ['grpc://collector:0', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url port must be 1 to 65535, got "grpc://collector:0"'],
    ['collector:0', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url port must be 1 to 65535, got "collector:0"'],
    ['https://collector:0/v1/traces', 'TRACEPIPE_CONFIG_INVALID', 'tracing_service.exporter_url port must be 1 to 65535, got "https://collector:0/v1/traces"'],
  ];
  for (const [url, code, message] of cases) {
    assert.throws(() => parseExporterUrl(url), (err: unknown) => {
      assert.ok(err instanceof ConfigError, url);
      assert.equal(err.code, code, url);
      assert.equal(err.message, message, url);
      assert.equal(err.key, 'tracing_service.exporter_url');
      return true;
    });
  }
});
