import { RETRY_INFO_TYPE_URL, RpcStatusMessages } from '../exporters/decodeRpcStatus.js';

/** Built once with the receiver (which loads protobufjs anyway): refusals under overload are encoded per request. */
const { RpcStatus, RetryInfo } = new RpcStatusMessages();

/**
 * A `google.rpc.Status` in protobuf form: the body of an OTLP/HTTP error and the
 * `grpc-status-details-bin` of a throttled gRPC call. With `retryDelayMs` it carries a
 * `google.rpc.RetryInfo`, which OTLP clients read as "retryable, after this long"
 * (OTLP spec, "OTLP/gRPC Throttling").
 */
export function encodeRpcStatus(code: number, message: string, retryDelayMs?: number): Uint8Array {
  const details =
    retryDelayMs === undefined
      ? []
      : [
          {
            type_url: RETRY_INFO_TYPE_URL,
            value: RetryInfo.encode(
              RetryInfo.fromObject({ retry_delay: { seconds: Math.floor(retryDelayMs / 1000), nanos: (retryDelayMs % 1000) * 1_000_000 } }),
            ).finish(),
          },
        ];
  return RpcStatus.encode(RpcStatus.fromObject({ code, message, details })).finish();
}

/** The same Status in the proto3 JSON mapping, for OTLP/HTTP JSON error bodies. */
export function rpcStatusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}
