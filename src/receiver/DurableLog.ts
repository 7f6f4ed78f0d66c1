import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { QueueSync } from '../config/TracepipeConfig.js';
import type { Logger } from '../logger.js';
import type { WireForm } from '../pipeline/EncodedSpans.js';

/** One request read back from the log at start, in the wire form it was logged in. */
export interface LogRecord {
  id: number;
  payload: Buffer;
  spanCount: number;
  form: WireForm;
}

export interface DurableLogOptions {
  dir: string;
  /** Bytes the segments may take on disk together; an append past it is refused (`hasRoom`). */
  maxBytes: number;
  /** A segment takes records until it would grow past this; a larger record gets one of its own. */
  segmentBytes?: number;
  /** What an append waits for: `always` (the default) fdatasyncs each group, `none` only writes it. */
  sync?: QueueSync;
  /** How long each group commit waits for more appends before it writes (0, the default: none). */
  commitDelayMs?: number;
  logger: Logger;
}

/**
 * Frame: payload length (u32 LE), CRC32 of everything after the CRC (u32 LE), span count (u32 LE),
 * wire form (u8: 0 protobuf, 1 OTLP/JSON), 3 bytes zero, payload. The CRC makes a record torn by
 * a crash (or a bad sector) detectable at start. The header is written beside the payload (one
 * writev), so a payload is never copied into its frame unless its caller asks.
 */
const HEADER_BYTES = 16;
const FORMS: readonly WireForm[] = ['protobuf', 'json'];
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const SEGMENT_SUFFIX = '.seg';
/**
 * Beside a segment, `<id>.ack`: the positions (u32 LE) of its records the queue has settled, so a
 * restart does not deliver them again. Written without fdatasync: an ack lost to a power loss
 * only costs a repeat, which at-least-once delivery allows.
 */
const ACK_SUFFIX = '.ack';

interface Segment {
  id: number;
  path: string;
  bytes: number;
  records: number;
  /** Records the queue has settled (delivered, or failed for good and counted). */
  settled: number;
  /** Records whose bytes are durable. */
  written: number;
  /** No record is appended any more; it is deleted once every record in it is settled. */
  sealed: boolean;
  handle: Promise<FileHandle> | undefined;
  /** The id of its first record: its records' ids follow on, so a record's position is `id - firstId`. */
  firstId: number;
  /** Positions settled and not yet written to its ack file. */
  acks: number[];
  ackHandle: FileHandle | undefined;
}

interface Pending {
  segment: Segment;
  header: Buffer;
  payload: Uint8Array;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The forwarder's durable queue on disk: accepted requests appended to segment files
 * (`<id>.seg`) before they are acknowledged, deleted a segment at a time once the destination
 * took every request in it. Appends are group-committed: while one write + fdatasync runs, the
 * appends that arrive meanwhile wait, and the next write + fdatasync covers all of them, so the
 * disk sees one sync per turn of the writer however many requests come in, and the event loop
 * never waits on the disk. `commitDelayMs` makes each turn wait for more appends first; with
 * `sync: 'none'` a turn ends at the write (the OS has the bytes), without fdatasync.
 */
export class DurableLog {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly sync: boolean;
  private readonly commitDelayMs: number;
  private readonly logger: Logger;
  private readonly segments = new Map<number, Segment>();
  /** Which segment holds each record not yet settled. */
  private readonly owner = new Map<number, Segment>();
  private active: Segment | undefined;
  private nextSegmentId = 1;
  private nextRecordId = 1;
  private diskBytes = 0;
  private pending: Pending[] = [];
  private waiters: Waiter[] = [];
  private writing: Promise<void> | undefined;
  /** Ack-file writes and deletions, one after the other. */
  private acking: Promise<void> = Promise.resolve();
  private syncCount = 0;

  private constructor(options: DurableLogOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.sync = (options.sync ?? 'always') === 'always';
    this.commitDelayMs = options.commitDelayMs ?? 0;
    this.logger = options.logger;
  }

  /**
   * Opens (creating) the log in `dir` and reads back what an earlier run left in it: every intact
   * record its ack file does not list as settled, in order, to be delivered first. A segment is
   * read up to its first record that is short or fails its CRC (a write torn by a crash); that
   * tail is skipped and counted in `torn`.
   */
  static async open(options: DurableLogOptions): Promise<{ log: DurableLog; records: LogRecord[]; torn: number }> {
    const log = new DurableLog(options);
    await mkdir(options.dir, { recursive: true });
    const names = await readdir(options.dir);
    const numbered = (suffix: string) =>
      names.filter((name) => name.endsWith(suffix) && /^\d+$/.test(name.slice(0, -suffix.length))).map((name) => Number(name.slice(0, -suffix.length)));
    const ids = numbered(SEGMENT_SUFFIX).sort((a, b) => a - b);
    // An ack file whose segment is gone (a crash between the two deletions) acks nothing.
    for (const id of numbered(ACK_SUFFIX)) if (!ids.includes(id)) await unlink(log.ackPath(id));
    const records: LogRecord[] = [];
    let torn = 0;
    for (const id of ids) {
      const path = join(options.dir, `${id}${SEGMENT_SUFFIX}`);
      const data = await readFile(path);
      const { found, tornAt } = parseSegment(data);
      log.nextSegmentId = id + 1;
      if (tornAt !== undefined) {
        torn++;
        log.logger.warn({ segment: path, offset: tornAt, bytesSkipped: data.length - tornAt }, 'queue log: torn record skipped (a write cut short by a crash)');
      }
      const settled = await readAcks(log.ackPath(id));
      const firstId = log.nextRecordId;
      log.nextRecordId += found.length;
      const unsettled = found.flatMap((r, position) => (settled.has(position) ? [] : [{ ...r, id: firstId + position }]));
      if (unsettled.length === 0) {
        await unlink(path);
        await unlink(log.ackPath(id)).catch(ignoreMissing);
        continue;
      }
      const segment: Segment = {
        id,
        path,
        bytes: data.length,
        records: found.length,
        settled: found.length - unsettled.length,
        written: found.length,
        sealed: true,
        handle: undefined,
        firstId,
        acks: [],
        ackHandle: undefined,
      };
      log.segments.set(id, segment);
      log.diskBytes += data.length;
      for (const r of unsettled) log.owner.set(r.id, segment);
      records.push(...unsettled);
    }
    return { log, records, torn };
  }

  /** The id the next appended record gets (the queue is told it before the append). */
  get nextId(): number {
    return this.nextRecordId;
  }

  /** fdatasyncs run so far: with group commit, far fewer than appends under load. */
  get syncs(): number {
    return this.syncCount;
  }

  /** Bytes the segments take on disk, written or about to be. */
  get bytes(): number {
    return this.diskBytes;
  }

  /** Whether requests of `payloadBytes` (together, in `records` records) fit the disk budget now. */
  hasRoom(payloadBytes: number, records = 1): boolean {
    return this.diskBytes + payloadBytes + records * HEADER_BYTES <= this.maxBytes;
  }

  /** Whether they could ever fit, with the log empty. */
  couldFit(payloadBytes: number, records = 1): boolean {
    return payloadBytes + records * HEADER_BYTES <= this.maxBytes;
  }

  /**
   * Appends records (ids `nextId`, `nextId + 1`...) of requests in wire form `form`, and resolves
   * when all of them are durable. `copy`: the caller may reuse the payloads' buffers before then
   * (pooled capture lines), so their bytes are copied now; otherwise they are written as they are
   * and must not change.
   */
  append(payloads: readonly Uint8Array[], spanCounts: readonly number[], form: WireForm, copy: boolean): Promise<void> {
    for (let i = 0; i < payloads.length; i++) {
      const payload = copy ? Buffer.from(payloads[i]!) : payloads[i]!;
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32LE(payload.byteLength, 0);
      header.writeUInt32LE(spanCounts[i]!, 8);
      header[12] = FORMS.indexOf(form);
      header.writeUInt32LE(crc32(payload, crc32(header.subarray(8))), 4);
      const frameBytes = HEADER_BYTES + payload.byteLength;
      const segment = this.segmentFor(frameBytes);
      segment.bytes += frameBytes;
      segment.records++;
      this.diskBytes += frameBytes;
      this.owner.set(this.nextRecordId++, segment);
      this.pending.push({ segment, header, payload });
    }
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.writing ??= this.writeLoop();
    return durable;
  }

  /**
   * The queue is done with these records (delivered, or failed for good and counted). A segment
   * whose records are all settled is deleted; in the others, the settled records are noted in the
   * segment's ack file.
   */
  settle(ids: readonly number[]): void {
    const touched = new Set<Segment>();
    for (const id of ids) {
      const segment = this.owner.get(id);
      if (segment === undefined) continue;
      this.owner.delete(id);
      segment.settled++;
      segment.acks.push(id - segment.firstId);
      touched.add(segment);
    }
    for (const segment of touched) this.removeIfDone(segment);
    const acking = [...touched].filter((segment) => this.segments.has(segment.id));
    if (acking.length > 0) this.acking = this.acking.then(() => this.writeAcks(acking));
  }

  /** Waits for the writes in progress and closes the segment and ack files; settled segments are already gone. */
  async close(): Promise<void> {
    await this.writing;
    await this.acking;
    for (const segment of this.segments.values()) {
      const handle = segment.handle;
      segment.handle = undefined;
      if (handle !== undefined) await (await handle).close();
      await segment.ackHandle?.close();
      segment.ackHandle = undefined;
    }
  }

  private ackPath(id: number): string {
    return join(this.dir, `${id}${ACK_SUFFIX}`);
  }

  private async writeAcks(segments: Segment[]): Promise<void> {
    for (const segment of segments) {
      // Deleted since (every record settled): its ack file went with it.
      if (!this.segments.has(segment.id) || segment.acks.length === 0) continue;
      const positions = Buffer.allocUnsafe(segment.acks.length * 4);
      segment.acks.forEach((position, i) => positions.writeUInt32LE(position, i * 4));
      segment.acks = [];
      try {
        segment.ackHandle ??= await open(this.ackPath(segment.id), 'a');
        await segment.ackHandle.write(positions);
      } catch (error) {
        this.logger.warn({ segment: segment.path, error: (error as Error).message }, 'queue log: could not note delivered records (a restart would deliver them again)');
      }
    }
  }

  private segmentFor(frameBytes: number): Segment {
    const active = this.active;
    if (active !== undefined && (active.bytes === 0 || active.bytes + frameBytes <= this.segmentBytes)) return active;
    if (active !== undefined) {
      active.sealed = true;
      this.removeIfDone(active);
    }
    const id = this.nextSegmentId++;
    const segment: Segment = {
      id,
      path: join(this.dir, `${id}${SEGMENT_SUFFIX}`),
      bytes: 0,
      records: 0,
      settled: 0,
      written: 0,
      sealed: false,
      handle: undefined,
      firstId: this.nextRecordId,
      acks: [],
      ackHandle: undefined,
    };
    this.segments.set(id, segment);
    this.active = segment;
    return segment;
  }

  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.commitDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.commitDelayMs));
      const batch = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      let i = 0;
      /** Entries of `batch` whose group was written (and synced). */
      let done = 0;
      try {
        while (i < batch.length) {
          const segment = batch[i]!.segment;
          const buffers: Uint8Array[] = [];
          while (i < batch.length && batch[i]!.segment === segment) {
            const { header, payload } = batch[i++]!;
            buffers.push(header, payload);
          }
          const handle = await this.handleOf(segment);
          await writeAll(handle, buffers);
          if (this.sync) {
            await handle.datasync();
            this.syncCount++;
          }
          segment.written += buffers.length / 2;
          done = i;
          this.removeIfDone(segment);
        }
        for (const w of waiters) w.resolve();
      } catch (error) {
        // Appends still waiting are bound for the segment that failed, where they would sit behind
        // a torn record (replay stops there): they are refused too, and the next append starts a
        // new segment. The records given up count as written, so that their segment is deleted
        // (and leaves the disk budget) once the queue has settled them: they are still queued.
        const givenUp = [...batch.slice(done), ...this.pending];
        const refused = [...waiters, ...this.waiters];
        this.pending = [];
        this.waiters = [];
        if (this.active !== undefined) this.active.sealed = true;
        this.active = undefined;
        for (const p of givenUp) p.segment.written++;
        for (const segment of new Set(givenUp.map((p) => p.segment))) this.removeIfDone(segment);
        this.logger.error(
          { dir: this.dir, requests: givenUp.length, error: (error as Error).message },
          'queue log: write failed; the requests it carried are refused (their senders retry)',
        );
        for (const w of refused) w.reject(error as Error);
      }
    }
    this.writing = undefined;
  }

  private handleOf(segment: Segment): Promise<FileHandle> {
    segment.handle ??= (async () => {
      const handle = await open(segment.path, 'a');
      if (!this.sync) return handle;
      // The new file's directory entry must be durable too, or a crash could lose the whole segment.
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return handle;
    })();
    return segment.handle;
  }

  /** Deletes a segment once nothing more is appended to it and every record in it is written and settled. */
  private removeIfDone(segment: Segment): void {
    if (segment.settled < segment.records || segment.written < segment.records) return;
    if (!segment.sealed) {
      if (segment !== this.active || segment.records === 0) return;
      // Everything in the active segment was delivered: start the next append in a fresh one.
      segment.sealed = true;
      this.active = undefined;
    }
    if (!this.segments.delete(segment.id)) return;
    this.diskBytes -= segment.bytes;
    const handle = segment.handle;
    segment.handle = undefined;
    void (async () => {
      if (handle !== undefined) await (await handle).close();
      await unlink(segment.path);
    })().catch((error: unknown) => {
      this.logger.warn({ segment: segment.path, error: (error as Error).message }, 'queue log: could not delete a delivered segment');
    });
    // After the ack writes already queued; an ack file left behind by a crash is removed at open.
    this.acking = this.acking.then(async () => {
      try {
        await segment.ackHandle?.close();
        segment.ackHandle = undefined;
        await unlink(this.ackPath(segment.id)).catch(ignoreMissing);
      } catch (error) {
        this.logger.warn({ segment: segment.path, error: (error as Error).message }, 'queue log: could not delete the ack file of a delivered segment');
      }
    });
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

/** The record positions an ack file lists (none when there is none); a trailing partial entry (a torn write) is ignored. */
async function readAcks(path: string): Promise<Set<number>> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
  const positions = new Set<number>();
  for (let offset = 0; offset + 4 <= data.length; offset += 4) positions.add(data.readUInt32LE(offset));
  return positions;
}

async function writeAll(handle: FileHandle, buffers: Uint8Array[]): Promise<void> {
  let total = 0;
  for (const b of buffers) total += b.byteLength;
  let { bytesWritten } = await handle.writev(buffers);
  if (bytesWritten === total) return;
  // A short write: the rest, as one buffer.
  const rest = Buffer.concat(buffers).subarray(bytesWritten);
  let offset = 0;
  while (offset < rest.length) {
    ({ bytesWritten } = await handle.write(rest, offset));
    offset += bytesWritten;
  }
}

type ParsedRecord = Omit<LogRecord, 'id'>;

/** The intact records of a segment, each payload copied out, and where a torn tail starts (if any). */
export function parseSegment(data: Buffer): { found: ParsedRecord[]; tornAt: number | undefined } {
  const found: ParsedRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < HEADER_BYTES) return { found, tornAt: offset };
    const length = data.readUInt32LE(offset);
    const end = offset + HEADER_BYTES + length;
    if (end > data.length || crc32(data.subarray(offset + 8, end)) !== data.readUInt32LE(offset + 4)) return { found, tornAt: offset };
    const form = FORMS[data[offset + 12]!];
    // A form this version does not know (a log from a newer one) is not ours to guess at.
    if (form === undefined) return { found, tornAt: offset };
    found.push({ payload: Buffer.from(data.subarray(offset + HEADER_BYTES, end)), spanCount: data.readUInt32LE(offset + 8), form });
    offset = end;
  }
  return { found, tornAt: undefined };
}
