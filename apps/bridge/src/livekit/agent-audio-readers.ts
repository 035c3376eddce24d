import type { AudioFrame, RemoteParticipant, RemoteTrack } from '@livekit/rtc-node';
import { AudioStream, TrackKind } from '@livekit/rtc-node';
import type { AgentAudioHandler } from './phone-line.js';

/** Reads the agents' audio tracks the phone subscribed to, one reader per track, 20 ms frames. */
export class AgentAudioReaders {
  private readonly readers = new Map<string, ReadableStreamDefaultReader<AudioFrame>>();
  private closed = false;

  constructor(
    private readonly opts: {
      sampleRate: number;
      /** Whether this participant's audio reaches the caller now (an operator's takeover). */
      passes: (identity: string) => boolean;
      /** Where the frames go (read at each frame: the line's events change when it is adopted). */
      onAudio: () => AgentAudioHandler;
    },
  ) {}

  /** A track was subscribed: its audio is read until it is unsubscribed or the readers close. */
  read(track: RemoteTrack, participant: RemoteParticipant): void {
    if (track.kind !== TrackKind.KIND_AUDIO || this.closed) return;
    const sid = track.sid ?? `${participant.identity}-audio`;
    // 20 ms frames: half the FFI events of the default 10 ms, and exactly one Twilio frame each.
    const reader = new AudioStream(track, {
      sampleRate: this.opts.sampleRate,
      numChannels: 1,
      frameSizeMs: 20,
    }).getReader();
    this.readers.set(sid, reader);
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done || !value || this.closed) break;
          if (!this.opts.passes(participant.identity)) continue;
          this.opts.onAudio()(value.data, value.sampleRate, value.channels);
        }
      } catch {
        // Stream cancelled on unsubscribe or teardown.
      } finally {
        this.readers.delete(sid);
      }
    })();
  }

  stop(sid: string): void {
    const reader = this.readers.get(sid);
    this.readers.delete(sid);
    void reader?.cancel().catch(() => undefined);
  }

  /** The phone leaves: every reader stops, and no new one starts. */
  close(): void {
    this.closed = true;
    for (const sid of [...this.readers.keys()]) this.stop(sid);
  }
}
