// An independent model of what the bridge must do with each fuzzed Media Streams message (count it
// as refused, close the socket, or accept it). It is built on `decodeInbound` and the documented
// session rules, not on the bridge's code, so a bridge that silently drops or miscounts a message
// disagrees with it.
import { createUplink } from '@callbridge/audio';
import { decodeInbound, verifyStreamToken } from '@callbridge/twilio-media';
import type { RawMessage } from './_fuzz-messages.js';

/** The bridge's side of one socket, as the README documents it. */
export interface SessionModel {
  state: 'awaiting_start' | 'live';
  streamSid: string | undefined;
  callSid: string;
  secret: string;
  maxBytes: number;
  badMessages: number;
}

export interface Expected {
  /** `callbridge_rejected_total` reason this message must add, if any. */
  reason?: string;
  /** Close code the bridge must answer with; no further message on this socket is processed. */
  close?: number;
  /** A caller frame that reaches the room (counted in frames in). */
  frame?: boolean;
}

const MAX_BAD_MESSAGES = 50;
const probeUplink = createUplink({ outputRate: 8000 });

/** What the bridge must do with `msg` on a socket in state `s` (mutates `s`). */
export function expectFor(s: SessionModel, msg: RawMessage): Expected {
  const refuse = (reason: string, close?: number): Expected => {
    if (close !== undefined) return { reason, close };
    s.badMessages += 1;
    return s.badMessages >= MAX_BAD_MESSAGES ? { reason, close: 1008 } : { reason };
  };
  if (msg.binary) return refuse('binary_frame', 1003);
  const decoded = decodeInbound(msg.data, { maxBytes: s.maxBytes });
  if (!decoded.ok) return refuse(decoded.error.code, decoded.error.code === 'oversized' ? 1009 : undefined);
  const m = decoded.message;
  switch (m.event) {
    case 'connected':
      return {};
    case 'start': {
      if (s.state !== 'awaiting_start') return refuse('second_start', 1008);
      const verdict = verifyStreamToken({
        secret: s.secret,
        token: m.start.customParameters.streamToken,
        callSid: m.start.callSid,
      });
      // The generator never holds a genuine token; if it ever did, the model would need the registry.
      if (verdict.ok) throw new Error('generated a genuine stream token');
      return refuse(`stream_token_${verdict.reason}`, 1008);
    }
    case 'media':
      if (s.state === 'awaiting_start') return refuse('media_before_start', 1008);
      if (m.streamSid !== s.streamSid) return refuse('wrong_stream_sid');
      if (m.media.track !== 'inbound') return {};
      try {
        probeUplink.processBase64(m.media.payload);
      } catch {
        return refuse('invalid_payload');
      }
      return { frame: true };
    case 'mark':
    case 'dtmf':
      return m.streamSid !== s.streamSid ? refuse('wrong_stream_sid') : {};
    case 'stop':
      if (s.state === 'awaiting_start') return refuse('stop_before_start');
      return m.streamSid !== s.streamSid ? refuse('wrong_stream_sid') : { close: 1000 };
  }
}
