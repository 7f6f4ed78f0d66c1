import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../src/logger.js';
import { widenReceiveWindow } from '../src/receiver/widenReceiveWindow.js';

/**
 * A local OTLP sink in a sibling process: accepts gRPC and HTTP exports and answers success
 * without decoding, so the measured process pays for its exporter and nothing else.
 * Prints `{"grpcPort":…,"httpPort":…}` once listening; exits when its stdin closes.
 */
const passthrough = (b: Buffer) => b;
const traceService: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
};
const EMPTY_RESPONSE = Buffer.alloc(0);

const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
server.addService(traceService, {
  Export: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, EMPTY_RESPONSE),
});
const grpcPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
);
/**
 * The sink stands for a Collector, whose gRPC server (grpc-go) reads frames on a goroutine of its
 * own and grows its flow-control windows to the bandwidth-delay product. With HTTP/2's 64 KiB a
 * single-threaded Node sink was the bottleneck of the gRPC exports it measured (both exporters
 * dropped spans at under 65k spans/s); 1 MiB is the connection window of grpc-java's and gRPC
 * core's transports.
 */
const SINK_RECEIVE_WINDOW = 1024 * 1024;
if (!widenReceiveWindow(server, SINK_RECEIVE_WINDOW, silentLogger)) throw new Error('the sink could not widen its gRPC receive window');

const http = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    const json = (req.headers['content-type'] ?? '').startsWith('application/json');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : EMPTY_RESPONSE);
  });
});
http.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const httpPort = (http.address() as AddressInfo).port;

process.stdout.write(`${JSON.stringify({ grpcPort, httpPort })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
