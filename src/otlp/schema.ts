/**
 * The OTLP trace schema as the wire sees it: field tags (field number << 3 | wire type), JSON
 * keys and limits, from our .proto files (proto/opentelemetry/proto/{trace,common,resource}/v1/*.proto,
 * transcribed from OTLP v1). The readers check tags against these; a new OTLP field is added here.
 */

/** Wire types (protobuf encoding spec, "Message Structure"). */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

const tag = (field: number, wireType: number): number => (field << 3) | wireType;

/** trace.proto TracesData (and ExportTraceServiceRequest, same layout). */
export const TRACES_DATA = Object.freeze({ RESOURCE_SPANS: tag(1, LEN) });
/** trace.proto ResourceSpans. */
export const RESOURCE_SPANS = Object.freeze({ RESOURCE: tag(1, LEN), SCOPE_SPANS: tag(2, LEN), SCHEMA_URL: tag(3, LEN) });
/** resource.proto Resource. */
export const RESOURCE = Object.freeze({ ATTRIBUTES: tag(1, LEN), DROPPED_ATTRIBUTES_COUNT: tag(2, VARINT) });
/** trace.proto ScopeSpans. */
export const SCOPE_SPANS = Object.freeze({ SCOPE: tag(1, LEN), SPANS: tag(2, LEN), SCHEMA_URL: tag(3, LEN) });
/** common.proto InstrumentationScope. */
export const SCOPE = Object.freeze({ NAME: tag(1, LEN), VERSION: tag(2, LEN), ATTRIBUTES: tag(3, LEN), DROPPED_ATTRIBUTES_COUNT: tag(4, VARINT) });
/** trace.proto Span (flags, field 16, is a two-byte varint tag). */
export const SPAN = Object.freeze({
  TRACE_ID: tag(1, LEN),
  SPAN_ID: tag(2, LEN),
  TRACE_STATE: tag(3, LEN),
  PARENT_SPAN_ID: tag(4, LEN),
  NAME: tag(5, LEN),
  KIND: tag(6, VARINT),
  START_TIME_UNIX_NANO: tag(7, I64),
  END_TIME_UNIX_NANO: tag(8, I64),
  ATTRIBUTES: tag(9, LEN),
  DROPPED_ATTRIBUTES_COUNT: tag(10, VARINT),
  EVENTS: tag(11, LEN),
  DROPPED_EVENTS_COUNT: tag(12, VARINT),
  LINKS: tag(13, LEN),
  DROPPED_LINKS_COUNT: tag(14, VARINT),
  STATUS: tag(15, LEN),
  FLAGS: tag(16, I32),
});
/** trace.proto Span.Event. */
export const EVENT = Object.freeze({ TIME_UNIX_NANO: tag(1, I64), NAME: tag(2, LEN), ATTRIBUTES: tag(3, LEN), DROPPED_ATTRIBUTES_COUNT: tag(4, VARINT) });
/** trace.proto Span.Link. */
export const LINK = Object.freeze({
  TRACE_ID: tag(1, LEN),
  SPAN_ID: tag(2, LEN),
  TRACE_STATE: tag(3, LEN),
  ATTRIBUTES: tag(4, LEN),
  DROPPED_ATTRIBUTES_COUNT: tag(5, VARINT),
  FLAGS: tag(6, I32),
});
/** trace.proto Status. */
export const STATUS = Object.freeze({ MESSAGE: tag(2, LEN), CODE: tag(3, VARINT) });
/** common.proto KeyValue. */
export const KEY_VALUE = Object.freeze({ KEY: tag(1, LEN), VALUE: tag(2, LEN) });
/** common.proto AnyValue: the members of its `value` oneof. */
export const ANY_VALUE = Object.freeze({
  STRING_VALUE: tag(1, LEN),
  BOOL_VALUE: tag(2, VARINT),
  INT_VALUE: tag(3, VARINT),
  DOUBLE_VALUE: tag(4, I64),
  ARRAY_VALUE: tag(5, LEN),
  KVLIST_VALUE: tag(6, LEN),
  BYTES_VALUE: tag(7, LEN),
});
/** common.proto ArrayValue and KeyValueList: `values`, field 1. */
export const LIST = Object.freeze({ VALUES: tag(1, LEN) });

/**
 * OTLP/JSON keys by proto field name: lowerCamelCase, as the OTLP spec requires of JSON keys
 * (proto3 JSON mapping; the decoder also takes the proto names themselves, which protojson may
 * write). `instrumentation_library_spans` and `instrumentation_library` are the pre-1.0 names of
 * `scope_spans` and `scope`, read only.
 */
export const JSON_KEY = Object.freeze({
  array_value: 'arrayValue',
  attributes: 'attributes',
  bool_value: 'boolValue',
  bytes_value: 'bytesValue',
  code: 'code',
  double_value: 'doubleValue',
  dropped_attributes_count: 'droppedAttributesCount',
  dropped_events_count: 'droppedEventsCount',
  dropped_links_count: 'droppedLinksCount',
  end_time_unix_nano: 'endTimeUnixNano',
  events: 'events',
  flags: 'flags',
  instrumentation_library: 'instrumentationLibrary',
  instrumentation_library_spans: 'instrumentationLibrarySpans',
  int_value: 'intValue',
  key: 'key',
  kind: 'kind',
  kvlist_value: 'kvlistValue',
  links: 'links',
  message: 'message',
  name: 'name',
  parent_span_id: 'parentSpanId',
  resource: 'resource',
  resource_spans: 'resourceSpans',
  schema_url: 'schemaUrl',
  scope: 'scope',
  scope_spans: 'scopeSpans',
  span_id: 'spanId',
  spans: 'spans',
  start_time_unix_nano: 'startTimeUnixNano',
  status: 'status',
  string_value: 'stringValue',
  time_unix_nano: 'timeUnixNano',
  trace_id: 'traceId',
  trace_state: 'traceState',
  value: 'value',
  values: 'values',
  version: 'version',
});

/** trace.proto Span.SpanKind: the names OTLP/JSON may use for `kind`, and their numbers. */
export const SPAN_KIND_NAMES: Readonly<Record<string, number>> = Object.freeze({
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
});

/** trace.proto Status.StatusCode: the names OTLP/JSON may use for `code`, and their numbers. */
export const STATUS_CODE_NAMES: Readonly<Record<string, number>> = Object.freeze({
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
});

/**
 * Arrays and maps nested deeper than this are refused by the decoders and the scanner, and
 * written as the empty value by the encoders: protobuf's own default recursion limit (100), so
 * hostile input cannot exhaust the stack and an attribute that contains itself cannot recurse forever.
 */
export const MAX_DEPTH = 100;
