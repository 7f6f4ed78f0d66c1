import type { Type } from 'protobufjs';
import type { PipelineStats } from '../stats/PipelineStats.js';
import { OtlpMessages } from '../otlp/OtlpMessages.js';
import type { Logger } from '../logger.js';
import { BurstLog } from './BurstLog.js';

export interface PartialSuccessInfo {
  rejectedSpans: number;
  errorMessage: string;
}

const NONE: PartialSuccessInfo = { rejectedSpans: 0, errorMessage: '' };

/**
 * The `partial_success` of an ExportTraceServiceResponse: spans the server took the request
 * for but refused. They are counted as dropped `invalid` and logged once per burst.
 */
export class PartialSuccess {
  private readonly log: BurstLog;
  private readonly response: Type;

  constructor(
    private readonly stats: PipelineStats,
    logger: Logger,
    private readonly target: string,
  ) {
    this.log = new BurstLog(logger, 'warn');
    this.response = new OtlpMessages().ExportTraceServiceResponse;
  }

  /** Counts what the server rejected (never more than was sent) and returns that number. */
  count(info: PartialSuccessInfo, sent: number): number {
    const rejected = Math.min(Math.max(0, info.rejectedSpans), sent);
    if (rejected > 0) this.stats.drop('invalid', rejected);
    if (rejected > 0 || info.errorMessage !== '') {
      this.log.failure('the collector rejected spans (partial success)', {
        exporter: this.target,
        rejectedSpans: rejected,
        error: info.errorMessage,
      });
    }
    return rejected;
  }

  /**
   * From a protobuf response body. An empty body means every span was accepted, and so does one
   * that is not an ExportTraceServiceResponse: the server answered success, so the batch was taken.
   */
  fromProto(bytes: Uint8Array): PartialSuccessInfo {
    if (bytes.length === 0) return NONE;
    try {
      const response = this.response.toObject(this.response.decode(bytes), { longs: Number }) as {
        partialSuccess?: { rejectedSpans?: number; errorMessage?: string };
      };
      return fromFields(response.partialSuccess);
    } catch {
      return NONE;
    }
  }

  /** From an OTLP/JSON response body (int64 as string or number, lowerCamelCase names); read like `fromProto`. */
  static fromJson(text: string): PartialSuccessInfo {
    if (text.trim() === '') return NONE;
    try {
      const response = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: number | string; errorMessage?: string } };
      return fromFields(response?.partialSuccess);
    } catch {
      return NONE;
    }
  }
}

function fromFields(p: { rejectedSpans?: number | string; errorMessage?: string } | undefined): PartialSuccessInfo {
  if (p === undefined || p === null) return NONE;
  const rejected = Number(p.rejectedSpans ?? 0);
  return { rejectedSpans: Number.isFinite(rejected) ? rejected : 0, errorMessage: p.errorMessage ?? '' };
}
