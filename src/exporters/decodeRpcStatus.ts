import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';

/** protobufjs is loaded when these messages are first needed (an error body), not at import. */
const requireOnUse = createRequire(import.meta.url);

/**
 * google.rpc.Status, the error body of OTLP/HTTP and gRPC's `grpc-status-details-bin`, with the
 * google.rpc.RetryInfo detail a server uses to ask for a delay (OTLP spec, "Failures").
 * Declared inline: four small well-known messages, not worth shipping .proto files for.
 */
const DESCRIPTOR = {
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            RetryInfo: { fields: { retry_delay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
  },
};

/** The two messages, built from DESCRIPTOR: whoever encodes them often (the receiver) makes one and keeps it. */
export class RpcStatusMessages {
  readonly RpcStatus: Protobuf.Type;
  readonly RetryInfo: Protobuf.Type;

  constructor() {
    const root = (requireOnUse('protobufjs') as typeof Protobuf).Root.fromJSON(DESCRIPTOR);
    this.RpcStatus = root.lookupType('google.rpc.Status');
    this.RetryInfo = root.lookupType('google.rpc.RetryInfo');
  }
}

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

export interface DecodedRpcStatus {
  code: number;
  message: string;
  /** From a RetryInfo detail, when the server sent one. */
  retryDelayMs: number | undefined;
}

/** Decodes a google.rpc.Status; undefined when the bytes are not one. Error paths only: the messages are built per call unless given. */
export function decodeRpcStatus(bytes: Uint8Array, { RpcStatus, RetryInfo }: RpcStatusMessages = new RpcStatusMessages()): DecodedRpcStatus | undefined {
  try {
    const status = RpcStatus.toObject(RpcStatus.decode(bytes), { longs: Number, defaults: true }) as {
      code: number;
      message: string;
      details: Array<{ type_url: string; value: Uint8Array }>;
    };
    let retryDelayMs: number | undefined;
    for (const detail of status.details) {
      if (detail.type_url !== RETRY_INFO_TYPE_URL) continue;
      const info = RetryInfo.toObject(RetryInfo.decode(detail.value), { longs: Number, defaults: true }) as {
        retry_delay?: { seconds: number; nanos: number };
      };
      if (info.retry_delay) retryDelayMs = info.retry_delay.seconds * 1000 + Math.round(info.retry_delay.nanos / 1e6);
    }
    return { code: status.code, message: status.message, retryDelayMs };
  } catch {
    return undefined;
  }
}
