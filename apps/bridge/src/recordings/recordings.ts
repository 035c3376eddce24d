import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import type { CallStore } from '../records/call-store.js';
import { CallRecording } from './call-recording.js';
import { sweepRecordings } from './retention.js';

export interface RecordingSettings {
  /** RECORD_CALLS: off by default. */
  enabled: boolean;
  dir: string;
  /** Recordings older than this many days are deleted (0: kept until you delete them). */
  retentionDays: number;
}

const HOUR_MS = 3_600_000;
/** How long the end of a call waits for its recording's link to be written. */
const LINK_WAIT_MS = 2000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Call recordings: one two-channel WAV per call in RECORDINGS_DIR (`<CallSid>.wav`), linked from
 * the call record once the call ends, and deleted (with the link) when older than the retention,
 * by a sweep at start and every hour.
 */
export class Recordings {
  readonly dir: string;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly settings: RecordingSettings,
    private readonly deps: { store: Promise<CallStore>; log: Logger; nowMs?: () => number },
  ) {
    this.dir = resolve(settings.dir);
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /**
   * Makes the directory (when recording) and starts the retention sweep, at once and then hourly;
   * the sweep also runs with recording turned off, so recordings made before still expire.
   */
  async start(): Promise<void> {
    if (this.settings.enabled) await mkdir(this.dir, { recursive: true });
    if (this.settings.retentionDays > 0) {
      await this.sweep();
      this.sweeper = setInterval(() => void this.sweep(), HOUR_MS);
      this.sweeper.unref();
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** A recording for this call, written from now on; undefined when recording is off. */
  record(callSid: string, log: Logger): CallRecording | undefined {
    if (!this.settings.enabled) return undefined;
    return new CallRecording({ path: join(this.dir, `${callSid}.wav`), log });
  }

  /**
   * Finishes the call's recording and links it from the call record. Resolves once linked, so the
   * record's ending (written next) shows it, or after {@link LINK_WAIT_MS} at most: a slow
   * database must not hold up the end of the call (the link is still written when it can be).
   */
  async finish(callSid: string, recording: CallRecording): Promise<void> {
    const file = await recording.close();
    if (!file) return;
    const { log } = this.deps;
    const link = (async () => {
      try {
        const store = await this.deps.store;
        await store.update(callSid, {
          recordingPath: file.path,
          recordingBytes: file.bytes,
          recordingDurationMs: file.durationMs,
        });
        log.info({ callSid, bytes: file.bytes, durationMs: file.durationMs }, 'call recording saved');
      } catch (err) {
        const message = (err as Error).message;
        log.error({ callSid, err: message }, 'could not link the recording from the call record');
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([link, new Promise((resolve) => (timer = setTimeout(resolve, LINK_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Deletes recordings past the retention and their links; resolves with how many went. */
  async sweep(): Promise<number> {
    const { log, nowMs = Date.now } = this.deps;
    try {
      const deleted = await sweepRecordings(this.dir, nowMs() - this.settings.retentionDays * DAY_MS);
      const store = await this.deps.store;
      for (const callSid of deleted)
        await store.update(callSid, { recordingPath: null, recordingBytes: null, recordingDurationMs: null });
      if (deleted.length > 0)
        log.info(
          { deleted: deleted.length, retentionDays: this.settings.retentionDays },
          'old recordings deleted',
        );
      return deleted.length;
    } catch (err) {
      log.error({ err: (err as Error).message, dir: this.dir }, 'recording retention sweep failed');
      return 0;
    }
  }
}
