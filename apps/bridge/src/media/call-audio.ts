import { createDownlink, createUplink, type Downlink, type Uplink } from '@callbridge/audio';
import { encodeClear, encodeMark, encodeMedia } from '@callbridge/twilio-media';
import type { PhoneLine } from '../livekit/phone-line.js';
import type { Logger } from '../logger.js';
import type { CallRecording } from '../recordings/call-recording.js';
import type { BridgeMetrics } from '../metrics.js';
import { AgentAudioRelay } from './agent-audio-relay.js';
import type { HeardReport } from './caller-playback.js';
import { isLoud, type CallLatency } from './call-latency.js';
import { UplinkMeter } from './uplink-meter.js';

/**
 * The audio of one call, both ways: the caller's μ-law frames to PCM for the phone line
 * (metered), and the agent's audio through the relay to Twilio as media, marks and clears.
 */
export class CallAudio {
  readonly uplink: Uplink;
  readonly relay: AgentAudioRelay;
  private readonly downlink: Downlink;
  private readonly meter: UplinkMeter;
  private readonly latency: CallLatency | undefined;

  constructor(opts: {
    streamSid: string;
    /** Hz of the PCM exchanged with LiveKit (PHONE_AUDIO_SAMPLE_RATE); 8000 converts no rate at all. */
    livekitRate: number;
    /** Sends one message to Twilio (while the socket is open). */
    send: (json: string) => void;
    metrics: BridgeMetrics;
    log: Logger;
    /** Measures the greeting and each turn from what passes through here. */
    latency?: CallLatency;
    /** The caller's playback was cleared, with what they heard of the utterance. */
    onCleared?: (report: HeardReport) => void;
    /** The caller heard an agent utterance to its end. */
    onHeardAll?: () => void;
    /** The call's recording: the agent's audio as it goes to Twilio (and what a clear discards). */
    recording?: Pick<CallRecording, 'agentFrame' | 'agentCleared'>;
  }) {
    const { streamSid, livekitRate, send, metrics, log, latency, onCleared, onHeardAll, recording } = opts;
    this.latency = latency;
    this.uplink = createUplink({ outputRate: livekitRate });
    this.downlink = createDownlink({ inputRate: livekitRate });
    this.meter = new UplinkMeter(metrics);
    this.relay = new AgentAudioRelay({
      downlink: this.downlink,
      sink: {
        sendMedia: (payload) => send(encodeMedia(streamSid, payload)),
        sendMark: (name) => send(encodeMark(streamSid, name)),
        sendClear: () => {
          metrics.clears.inc();
          log.info('agent interrupted: clearing caller playback');
          send(encodeClear(streamSid));
          recording?.agentCleared();
        },
      },
      onConverted: (us) => metrics.conversionSeconds.observe({ direction: 'down' }, us / 1e6),
      onUtteranceStart: latency && (() => latency.agentUtteranceStarted()),
      callerActiveAt: latency && (() => latency.callerActiveAt),
      onCleared,
      onHeardAll,
      onFrameSent: recording && ((frame) => recording.agentFrame(frame)),
    });
  }

  /** Caller frames converted and handed on so far. */
  get framesIn(): number {
    return this.meter.framesIn;
  }

  /** One caller frame (base64 μ-law, Twilio's chunk number) to the phone line; throws on a bad payload. */
  carryCallerFrame(
    payload: string,
    chunk: number,
    phone: Pick<PhoneLine, 'pushCallerAudio' | 'droppedFrames' | 'backlogMs'>,
  ): void {
    const arrivedAt = this.meter.arrived(chunk);
    const pcm = this.uplink.processBase64(payload);
    this.latency?.callerFrame(isLoud(pcm));
    const dropped = phone.droppedFrames;
    phone.pushCallerAudio(pcm);
    this.meter.delivered(arrivedAt, phone.droppedFrames - dropped, phone.backlogMs);
  }

  close(): void {
    this.uplink.close();
    this.downlink.close();
  }
}
