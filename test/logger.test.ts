import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createTracing } from '../src/createTracing.js';
import { createLogger } from '../src/logger.js';

test('a pino logger passed as it is keeps the structured fields and the message', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const tracing = createTracing(
    { tracing_service: { enabled: true, exporter_url: 'http://127.0.0.1:1', sampling_rate_per_million: 1000000, export_timeout_ms: 200 } },
    { logger },
  );
  tracing.tracer('t').startSpan('one').end();
  await tracing.forceFlush();
  await tracing.shutdown();
  const failed = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('export failed'));
  assert.ok(failed !== undefined, JSON.stringify(lines));
  assert.equal(failed.level, 50); // pino's error
  assert.equal(failed.exporter, 'http http://127.0.0.1:1/v1/traces');
  assert.equal(failed.spans, 1);
  assert.match(String(failed.error), /ECONNREFUSED/);
});

test('the default logger writes the same shape as one JSON line: time, level, msg, then the fields', () => {
  const lines: string[] = [];
  const logger = createLogger('info', (l) => lines.push(l));
  logger.warn({ file: 'a.trace', line: 3 }, 'capture line is not valid JSON');
  logger.info('started');
  logger.debug('not shown at info');
  assert.equal(lines.length, 2);
  const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(Object.keys(first!), ['time', 'level', 'msg', 'file', 'line']);
  assert.deepEqual([first!.level, first!.msg, first!.file, first!.line], ['warn', 'capture line is not valid JSON', 'a.trace', 3]);
  assert.deepEqual([second!.level, second!.msg], ['info', 'started']);
  assert.ok(lines.every((l) => l.endsWith('}\n')));
});
