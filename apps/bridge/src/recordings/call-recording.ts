import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { muLawDecode } from '@callbridge/audio';
import type { Logger } from '../logger.js';
import { AGENT_TRACK, CALLER_TRACK, RECORDING_RATE, TwoTrackTimeline } from './two-track-timeline.js';
import { WAV_HEADER_BYTES, wavHeader, wavSizes } from './wav-header.js';

/** Two channels of 16-bit samples at 8 kHz: 32 000 bytes a second, 1.92 MB a minute. */
export const RECORDING_BYTES_PER_SECOND = RECORDING_RATE * 2 * 2;
const FORMAT = { sampleRate: RECORDING_RATE, channels: 2 };
const MAX_DATA_BYTES = 0xffff_ffff - 36;
/** One 20 ms Media Streams frame. */
const FRAME_SAMPLES = 160;

/** A finished recording, as the call record links it. */
export interface RecordingFile {
  path: string;
  bytes: number;
  durationMs: number;
}

export interface CallRecordingOptions {
  path: string;
  log: Logger;
  now?: () => number;
  /** How often finished audio goes to the file and the header's sizes are rewritten (1 s). */
  flushMs?: number;
}

/**
 * One call's two-channel WAV (channel 1 the caller, channel 2 the agent as the caller heard it),
 * written while the call happens. Frames only go into memory (no I/O per frame); once a second the
 * finished audio is appended and the RIFF sizes are rewritten, so the file on disk is a valid WAV
 * of the call so far at any moment, also when the process dies. A disk error stops this recording
 * (logged once), never the call.
 */
export class CallRecording {
  readonly path: string;
  private readonly log: Logger;
  private readonly timeline: TwoTrackTimeline;
  private readonly timer: NodeJS.Timeout;
  private io: Promise<FileHandle | undefined>;
  private dataBytes = 0;
  private failed = false;
  /** The file holds all a WAV can (4 GB): nothing more is kept. */
  private full = false;
  private closed?: Promise<RecordingFile | undefined>;
  private base64 = Buffer.alloc(256);
  private pcm = new Int16Array(256);
  /** Where the caller's chunk 0 would sit on the timeline (the recording starts with the stream). */
  private callerOrigin = -FRAME_SAMPLES;

  constructor(opts: CallRecordingOptions) {
    this.path = opts.path;
    this.log = opts.log;
    this.timeline = new TwoTrackTimeline({ now: opts.now ?? (() => performance.now()) });
    // Never rejects: a failure is logged once and ends this recording.
    this.io = open(opts.path, 'w').then(
      async (fh) => {
        await fh.write(wavHeader(FORMAT, 0), 0, WAV_HEADER_BYTES, 0).catch((err: Error) => this.fail(err));
        return fh;
      },
      (err: Error) => {
        this.fail(err);
        return undefined;
      },
    );
    this.timer = setInterval(() => this.flush(false), opts.flushMs ?? 1000);
    this.timer.unref();
  }

  /**
   * A caller frame as Twilio sent it (base64 μ-law) with its chunk number, placed by the number:
   * Twilio sends chunk 1 right after `start` and one every 20 ms after it, so chunk n belongs
   * (n − 1) × 20 ms after the stream started, however late it arrives.
   */
  callerPayload(payload: string, chunk: number): void {
    if (this.failed || this.full || this.closed) return;
    if (this.base64.length < payload.length) this.base64 = Buffer.alloc(payload.length);
    const n = this.base64.write(payload, 0, 'base64');
    if (this.pcm.length < n) this.pcm = new Int16Array(n);
    const pcm = muLawDecode(this.base64.subarray(0, n), this.pcm);
    if (!Number.isSafeInteger(chunk) || chunk < 1) return this.timeline.write(CALLER_TRACK, pcm);
    this.timeline.writeAt(CALLER_TRACK, this.callerOrigin + chunk * FRAME_SAMPLES, pcm);
  }

  /** A new stream carries the call from now on (a failed transfer's): its chunks count from 1 again. */
  callerStreamStarted(): void {
    this.callerOrigin = this.timeline.clock() - FRAME_SAMPLES;
  }

  /** An agent frame (μ-law) as it went to Twilio. */
  agentFrame(ulaw: Uint8Array): void {
    if (this.failed || this.full || this.closed) return;
    if (this.pcm.length < ulaw.length) this.pcm = new Int16Array(ulaw.length);
    this.timeline.write(AGENT_TRACK, muLawDecode(ulaw, this.pcm));
  }

  /** Twilio was told to `clear`: the agent audio queued ahead of now never plays. */
  agentCleared(): void {
    this.timeline.clearAhead(AGENT_TRACK);
  }

  /** Writes the audio that is final by now and waits until it is on disk (the timer does this each second). */
  async sync(): Promise<void> {
    this.flush(false);
    await this.io;
  }

  /** Writes the rest and closes the file; resolves with what is on disk (undefined if it failed). */
  close(): Promise<RecordingFile | undefined> {
    this.closed ??= (async () => {
      clearInterval(this.timer);
      this.flush(true);
      const fh = await this.io;
      await fh?.close().catch(() => undefined);
      if (this.failed) return undefined;
      const samples = this.dataBytes / 4;
      return {
        path: this.path,
        bytes: WAV_HEADER_BYTES + this.dataBytes,
        durationMs: Math.round((samples * 1000) / RECORDING_RATE),
      };
    })();
    return this.closed;
  }

  private flush(all: boolean): void {
    if (this.failed || this.full) return;
    const samples = this.timeline.take(all);
    if (!samples) return;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    if (endianness() === 'BE') bytes.swap16(); // WAV is little-endian
    // A WAV's sizes are 32-bit: past 4 GB (37 hours of call) the recording ends where it is.
    if (this.dataBytes + bytes.length > MAX_DATA_BYTES) {
      this.full = true;
      return this.log.warn(
        { path: this.path },
        'call recording full (4 GB): the rest of the call is not recorded',
      );
    }
    const at = WAV_HEADER_BYTES + this.dataBytes;
    this.dataBytes += bytes.length;
    const sizes = wavSizes(this.dataBytes);
    this.io = this.io.then(async (fh) => {
      if (!fh || this.failed) return fh;
      try {
        await fh.write(bytes, 0, bytes.length, at);
        for (const [offset, field] of sizes) await fh.write(field, 0, 4, offset);
      } catch (err) {
        this.fail(err as Error);
      }
      return fh;
    });
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.log.error(
      { err: err.message, path: this.path },
      'call recording failed; the call goes on unrecorded',
    );
  }
}
