import { once } from 'node:events';

/** Writes to a stream and waits when its buffer is full, so long outputs stay within memory. */
export async function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}
