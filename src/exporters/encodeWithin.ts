/** A run of spans and its encoding. */
export interface EncodedChunk<S, B> {
  body: B;
  spans: readonly S[];
}

/**
 * `spans` encoded as documents of at most `maxBytes` each (`size` measures one). Normally that is
 * one encode: the batch fits. When it does not, it is cut into runs of about what fits (from the
 * bytes per span just measured), each encoded and halved again until it fits; `discard` gets
 * back every body not used. A span that is larger on its own is a chunk of its own, over the
 * limit: the caller decides what that costs.
 */
export function encodeWithin<S, B>(
  spans: readonly S[],
  encode: (spans: readonly S[]) => B,
  maxBytes: number,
  size: (body: B) => number,
  discard?: (body: B) => void,
): EncodedChunk<S, B>[] {
  const whole = encode(spans);
  const wholeBytes = size(whole);
  if (wholeBytes <= maxBytes || spans.length === 1) return [{ body: whole, spans }];
  discard?.(whole);
  // 7/8 of the limit by the average span, so that a run of larger-than-average spans still fits.
  const perRun = Math.max(1, Math.floor((spans.length * maxBytes * 0.875) / wholeBytes));
  const chunks: EncodedChunk<S, B>[] = [];
  const fit = (run: readonly S[]): void => {
    const body = encode(run);
    if (size(body) <= maxBytes || run.length === 1) {
      chunks.push({ body, spans: run });
      return;
    }
    discard?.(body);
    const half = run.length >> 1;
    fit(run.slice(0, half));
    fit(run.slice(half));
  };
  for (let i = 0; i < spans.length; i += perRun) fit(spans.slice(i, i + perRun));
  return chunks;
}
