import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PipelineStats } from '../../src/stats/PipelineStats.js';
import { createLogger } from '../../src/logger.js';
import { countGrpcAnswers } from '../../src/receiver/countGrpcAnswers.js';

test('countGrpcAnswers warns and returns false when it finds no HTTP/2 server (a server not bound yet)', () => {
  const lines: string[] = [];
  const server = new grpc.Server();
  try {
    assert.equal(countGrpcAnswers(server, new PipelineStats(), createLogger('info', (line) => lines.push(line))), false);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /gRPC calls that @grpc\/grpc-js refuses by itself are not counted/);
  } finally {
    server.forceShutdown();
  }
});
