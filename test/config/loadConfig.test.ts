import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/loadConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'tracepipe-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('loadConfig reads a tracepipe.yaml', () => {
  const path = file(
    'tracepipe.yaml',
    `service_name: api
tracing_service:
  enabled: true
  exporter_url: http://collector:4318
  sampling_rate_per_million: 250000
`,
  );
  const c = loadConfig(path, {});
  assert.equal(c.serviceName, 'api');
  assert.equal(c.tracing.enabled, true);
  assert.equal(c.tracing.samplingRatePerMillion, 250000);
  assert.deepEqual(c.tracing.exporter, {
    kind: 'http',
    endpoint: 'http://collector:4318/v1/traces',
    secure: false,
    encoding: 'protobuf',
    compression: 'none',
    url: 'http://collector:4318',
  });
});

test('an empty file is the default configuration', () => {
  assert.equal(loadConfig(file('empty.yaml', ''), {}).tracing.enabled, false);
});

test('loadConfig errors name the file, and the key or the line', () => {
  assert.throws(() => loadConfig(join(dir, 'missing.yaml'), {}), {
    code: 'TRACEPIPE_CONFIG_FILE',
    message: `config file ${join(dir, 'missing.yaml')} cannot be read: ENOENT: no such file or directory, open '${join(dir, 'missing.yaml')}'`,
  });
  const bad = file('bad.yaml', 'tracing_service:\n  enabled: true\n   exporter_url: x\n');
  assert.throws(() => loadConfig(bad, {}), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TRACEPIPE_CONFIG_FILE');
    assert.match(err.message, new RegExp(`^config file ${bad} is not valid YAML at line 2, column 12: Nested mappings are not allowed in compact mappings$`));
    return true;
  });
  const dup = file('dup.yaml', 'tracing_service:\n  enabled: true\n  enabled: false\n');
  assert.throws(() => loadConfig(dup, {}), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TRACEPIPE_CONFIG_FILE');
    assert.match(err.message, /Map keys must be unique/);
    return true;
  });
  const rate = file('rate.yaml', 'tracing_service:\n  sampling_rate_per_million: 1.5\n');
  assert.throws(() => loadConfig(rate, {}), {
    code: 'TRACEPIPE_CONFIG_INVALID',
    message: `${rate}: tracing_service.sampling_rate_per_million must be an integer from 0 to 1000000, got 1.5`,
  });
});
