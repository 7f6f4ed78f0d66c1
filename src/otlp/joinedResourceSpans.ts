const OPEN = Buffer.from('{"resourceSpans":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');
const CLOSE_LINE = Buffer.from(']}\n');

/**
 * One OTLP/JSON `TracesData` made of requests already in OTLP/JSON (EncodedSpans of format
 * 'json': each request its ResourceSpans, comma-separated), as the pieces to write one after
 * another, so the requests need not be copied: `{"resourceSpans":[` a `,` b … `]}`.
 */
export function joinedResourceSpans(requests: readonly Uint8Array[], newline: boolean): Uint8Array[] {
  const parts: Uint8Array[] = [OPEN];
  for (let i = 0; i < requests.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(requests[i]!);
  }
  parts.push(newline ? CLOSE_LINE : CLOSE);
  return parts;
}
