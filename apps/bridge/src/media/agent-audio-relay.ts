import { muLawToBase64, type Downlink } from '@callbridge/audio';
import { CallerPlayback, type HeardReport } from './caller-playback.js';

/** Where the relay's output goes: the Twilio socket, as protocol-level actions. */
export interface TwilioSink {
  sendMedia(payloadBase64: string): void;
  sendMark(name: string): void;
  sendClear(): void;
}

export interface AgentAudioRelayOptions {
  downlink: Downlink;
  sink: TwilioSink;
  /** Frames quieter than this are silence (dBFS of the chunk's RMS). */
  silenceDbfs?: number;
  /** Silence that ends an utterance when the agent publishes no state. */
  hangoverMs?: number;
  /**
   * If the agent leaves `speaking` while its audio was loud this recently, it was cut off mid-word
   * (interrupted) rather than finishing: a natural end leaves a tail of silence longer than this.
   */
  interruptWindowMs?: number;
  /**
   * When (on the `now` clock) the caller last spoke or pressed a key. Given, a cut-off is taken for
   * a barge-in only if the caller was active within {@link bargeInWindowMs}: an agent reaching the
   * natural end of a reply whose last audio is still on its way (the state change travels faster
   * than the audio) is not an interruption, and clearing then cut the reply's last words.
   */
  callerActiveAt?: () => number;
  bargeInWindowMs?: number;
  now?: () => number;
  /** Called with the µs spent converting one chunk, for the conversion-time metric. */
  onConverted?: (micros: number) => void;
  /** Called when an utterance's first loud frame is about to be sent (what the caller hears begin). */
  onUtteranceStart?: () => void;
  /** Called when the caller's playback is cleared, with what they heard of the utterance. */
  onCleared?: (report: HeardReport) => void;
  /** Called when the caller has heard an utterance to its end (its closing mark came back). */
  onHeardAll?: () => void;
  /** Each μ-law frame as it goes to Twilio (the call recording's agent channel); copy it to keep it. */
  onFrameSent?: (ulaw: Uint8Array) => void;
}

/**
 * Agent audio → Twilio: converts LiveKit PCM into 20 ms μ-law media messages as it arrives (LiveKit
 * delivers it in real time, so Twilio's buffer stays small), puts a `mark` after each utterance
 * (and progress marks inside it, to know what the caller heard: {@link CallerPlayback}), and
 * sends `clear` the moment the agent is interrupted so the caller stops hearing it at once.
 * Idle silence is not forwarded: there is nothing to play and it would only cost bandwidth.
 */
export class AgentAudioRelay {
  private readonly silenceLevel: number;
  private readonly hangoverMs: number;
  private readonly interruptWindowMs: number;
  private readonly now: () => number;
  private inUtterance = false;
  /** The current utterance has sent loud audio. */
  private utteranceHeard = false;
  private suppressed = false;
  private agentStateKnown = false;
  private agentSpeaking = false;
  private lastLoudAt = Number.NEGATIVE_INFINITY;
  /** Agent audio (ms) received since its last loud chunk. */
  private silentAudioMs = 0;
  private readonly pendingMarks = new Set<string>();
  private readonly playback: CallerPlayback;
  framesSent = 0;
  clears = 0;

  constructor(private readonly opts: AgentAudioRelayOptions) {
    // Compare mean squares directly: no log/sqrt per chunk on the hot path.
    this.silenceLevel = (32768 * 10 ** ((opts.silenceDbfs ?? -50) / 20)) ** 2;
    this.hangoverMs = opts.hangoverMs ?? 300;
    this.interruptWindowMs = opts.interruptWindowMs ?? 60;
    this.now = opts.now ?? (() => performance.now());
    this.playback = new CallerPlayback(this.now);
  }

  /** Marks sent to Twilio that it has not echoed yet, i.e. audio still queued at the caller's end. */
  get unplayedMarks(): readonly string[] {
    return [...this.pendingMarks];
  }

  onAgentAudio(pcm: Int16Array, sampleRate: number, channels: number): void {
    const now = this.now();
    const loud = meanSquare(pcm) > this.silenceLevel;
    this.silentAudioMs = loud ? 0 : this.silentAudioMs + (pcm.length / channels / sampleRate) * 1000;
    if (loud) {
      if (this.suppressed && !this.agentStateKnown && now - this.lastLoudAt > this.hangoverMs) {
        this.suppressed = false; // a stateless agent started a new utterance after being cut off
      }
    }
    if (this.suppressed) {
      if (loud) this.lastLoudAt = now;
      return;
    }
    if (!this.inUtterance) {
      if (!loud && !this.agentSpeaking) return;
      this.inUtterance = true;
      this.opts.sink.sendMark(this.playback.startUtterance());
    }
    if (loud) {
      this.lastLoudAt = now;
      if (!this.utteranceHeard) {
        this.utteranceHeard = true;
        this.opts.onUtteranceStart?.();
      }
    }
    const t0 = performance.now();
    const frames = this.opts.downlink.push(pcm, sampleRate, channels);
    this.send(frames);
    this.opts.onConverted?.((performance.now() - t0) * 1000);
    // The silent tail is measured in time and in audio: after a stall of the bridge's event loop,
    // LiveKit hands over the audio it queued meanwhile at once, and that silence must end the
    // utterance too (sent on, it sat in Twilio's buffer and the agent's next words waited behind it).
    const silentMs = Math.max(now - this.lastLoudAt, this.silentAudioMs);
    if (!this.agentSpeaking && silentMs > this.hangoverMs) this.endUtterance();
  }

  onAgentState(state: string): void {
    const wasSpeaking = this.agentSpeaking;
    this.agentStateKnown = true;
    this.agentSpeaking = state === 'speaking';
    if (this.agentSpeaking && !wasSpeaking) {
      this.suppressed = false;
      return;
    }
    if (wasSpeaking && !this.agentSpeaking && this.inUtterance) {
      const now = this.now();
      const callerActive =
        !this.opts.callerActiveAt || now - this.opts.callerActiveAt() <= (this.opts.bargeInWindowMs ?? 2000);
      if (now - this.lastLoudAt <= this.interruptWindowMs && callerActive) this.interrupt();
      // Otherwise the utterance ended by itself; the silence hangover closes it with a mark.
    }
  }

  /** Agent audio is still playing, or waiting to play, at the caller's end. */
  get callerHearing(): boolean {
    return this.inUtterance || this.playback.unplayed;
  }

  /** Twilio echoed a mark: the caller has heard everything up to it (unless we cleared). */
  onMarkEchoed(name: string): void {
    this.pendingMarks.delete(name);
    const hearing = this.callerHearing;
    this.playback.markEchoed(name);
    if (hearing && !this.callerHearing) this.opts.onHeardAll?.();
  }

  /**
   * The agent says it was interrupted (it knows for sure; the state-based guess above may not have
   * fired yet): clear the caller's playback if any of the utterance is still unheard, and report
   * what the caller heard of it. Undefined when there is nothing to cut (it was all heard).
   */
  interruptedByAgent(): HeardReport | undefined {
    const done = this.playback.clearedReport;
    if (done) return done;
    if (!this.inUtterance && !this.playback.unplayed) return undefined;
    this.interrupt();
    return this.playback.clearedReport;
  }

  /** Cut the agent off at the caller: drop what Twilio has buffered and ignore the audio's tail. */
  interrupt(): void {
    const report = this.playback.cleared();
    this.opts.sink.sendClear();
    this.opts.onCleared?.(report);
    this.clears++;
    this.opts.downlink.reset();
    this.inUtterance = false;
    this.utteranceHeard = false;
    this.suppressed = true;
  }

  private endUtterance(): void {
    this.send(this.opts.downlink.flush());
    this.inUtterance = false;
    this.utteranceHeard = false;
    const name = this.playback.endUtterance();
    this.pendingMarks.add(name);
    this.opts.sink.sendMark(name);
  }

  private send(frames: Uint8Array[]): void {
    for (const frame of frames) {
      this.opts.sink.sendMedia(muLawToBase64(frame));
      this.opts.onFrameSent?.(frame);
      this.framesSent++;
      const progress = this.playback.frameSent();
      if (progress) this.opts.sink.sendMark(progress);
    }
  }
}

function meanSquare(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return pcm.length > 0 ? sum / pcm.length : 0;
}
