/**
 * The agent's audio output as the caller hears it. LiveKit Agents truncates an interrupted reply
 * (the Realtime `conversation.item.truncate` audio_end_ms, the chat context's text) at the
 * playback position its audio output reports, i.e. what LiveKit played out. On a phone call the
 * caller is behind that by whatever Twilio still had buffered (seconds, after a network stall).
 * This output sits at the end of the session's chain and, when a segment ends interrupted, asks
 * the bridge how much the caller heard (RPC `playbackInterrupted`, which also stops Twilio's
 * playback) and reports that position instead, with the transcript cut to match. The same hook
 * LiveKit's remote avatar outputs use: the sink that really plays the audio reports the position.
 */
import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { heardTranscript, type PlaybackInterruptedReply } from '@callbridge/room-contract';
import type { Logger } from '../ops/logger.js';

type PlaybackFinishedEvent = voice.PlaybackFinishedEvent;

/** Asks the bridge what the caller heard; undefined when it cannot say. */
export type AskHeard = (playedMs: number) => Promise<PlaybackInterruptedReply | undefined>;

/** The position and transcript the caller heard, given what the bridge answered. */
export function heardPlayback(ev: PlaybackFinishedEvent, reply: PlaybackInterruptedReply | undefined) {
  if (!ev.interrupted || !reply?.cut || ev.playbackPosition <= 0) return ev;
  const heardS = reply.heardMs / 1000;
  if (heardS >= ev.playbackPosition) return ev;
  const fraction = heardS / ev.playbackPosition;
  return {
    ...ev,
    playbackPosition: heardS,
    synchronizedTranscript:
      ev.synchronizedTranscript === undefined
        ? undefined
        : heardTranscript(ev.synchronizedTranscript, fraction),
  };
}

export class PhonePlayoutOutput extends voice.AudioOutput {
  private readonly inner: voice.AudioOutput;
  private readonly adjusted = new WeakMap<PlaybackFinishedEvent, Promise<PlaybackFinishedEvent>>();

  constructor(
    inner: voice.AudioOutput,
    private readonly askHeard: AskHeard,
    private readonly log: Logger,
  ) {
    super(inner.sampleRate, inner, { pause: true });
    this.inner = inner;
  }

  // Segments are counted by the output this one wraps: frames, flushes and clears pass through.
  override async captureFrame(frame: AudioFrame): Promise<void> {
    await this.inner.captureFrame(frame);
  }

  override flush(): void {
    this.inner.flush();
  }

  override clearBuffer(): void {
    this.inner.clearBuffer();
  }

  override get capturedPlayoutSegments(): number {
    return this.inner.capturedPlayoutSegments;
  }

  override get pendingPlayoutSegments(): number {
    return this.inner.pendingPlayoutSegments;
  }

  override async waitForPlayout(): Promise<PlaybackFinishedEvent> {
    return this.heard(await this.inner.waitForPlayout());
  }

  /** Re-emitted for listeners of this output, with the position the caller heard. */
  override onPlaybackFinished(ev: PlaybackFinishedEvent): void {
    void this.heard(ev).then((heard) => this.emit(voice.AudioOutput.EVENT_PLAYBACK_FINISHED, heard));
  }

  /** One answer per segment, however many times its end is awaited. */
  private heard(ev: PlaybackFinishedEvent): Promise<PlaybackFinishedEvent> {
    if (!ev.interrupted) return Promise.resolve(ev);
    let pending = this.adjusted.get(ev);
    if (!pending) {
      const playedMs = ev.playbackPosition * 1000;
      pending = this.askHeard(playedMs).then((reply) => {
        const heard = heardPlayback(ev, reply);
        this.log.info(
          { playedMs: Math.round(playedMs), heardMs: Math.round(heard.playbackPosition * 1000) },
          'interrupted: truncating at what the caller heard',
        );
        return heard;
      });
      this.adjusted.set(ev, pending);
    }
    return pending;
  }
}
