/**
 * The messages Twilio sends on one Media Stream, shaped as its docs list them (types from
 * @callbridge/twilio-media) and numbered in the order they are sent.
 */
import {
  MEDIA_FORMAT,
  type ConnectedMessage,
  type DtmfMessage,
  type MarkMessage,
  type MediaMessage,
  type StartMessage,
  type StopMessage,
} from '@callbridge/twilio-media';

export interface StreamIds {
  accountSid: string;
  callSid: string;
  streamSid: string;
}

export class StreamMessages {
  private sequence = 0;
  private chunk = 0;

  constructor(private readonly ids: StreamIds) {}

  connected(): ConnectedMessage {
    return { event: 'connected', protocol: 'Call', version: '1.0.0' };
  }

  start(customParameters: Record<string, string>): StartMessage {
    return {
      event: 'start',
      sequenceNumber: this.nextSequence(),
      start: {
        accountSid: this.ids.accountSid,
        streamSid: this.ids.streamSid,
        callSid: this.ids.callSid,
        tracks: ['inbound'],
        mediaFormat: { ...MEDIA_FORMAT },
        customParameters: { ...customParameters },
      },
      streamSid: this.ids.streamSid,
    };
  }

  /** One 20 ms frame of the caller's audio; `timestampMs` counts from the stream's start. */
  media(payload: string, timestampMs: number): MediaMessage {
    return {
      event: 'media',
      sequenceNumber: this.nextSequence(),
      media: {
        track: 'inbound',
        chunk: String(++this.chunk),
        timestamp: String(timestampMs),
        payload,
      },
      streamSid: this.ids.streamSid,
    };
  }

  dtmf(digit: string): DtmfMessage {
    return {
      event: 'dtmf',
      streamSid: this.ids.streamSid,
      sequenceNumber: this.nextSequence(),
      dtmf: { track: 'inbound_track', digit },
    };
  }

  stop(): StopMessage {
    return {
      event: 'stop',
      sequenceNumber: this.nextSequence(),
      stop: { accountSid: this.ids.accountSid, callSid: this.ids.callSid },
      streamSid: this.ids.streamSid,
    };
  }

  /** The echo of a mark the server sent, once playback reached it (or a `clear` dropped it). */
  mark(name: string): MarkMessage {
    return {
      event: 'mark',
      sequenceNumber: this.nextSequence(),
      streamSid: this.ids.streamSid,
      mark: { name },
    };
  }

  private nextSequence(): string {
    return String(++this.sequence);
  }
}
