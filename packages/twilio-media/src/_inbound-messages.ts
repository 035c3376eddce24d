/**
 * Media Streams messages Twilio sends to our WebSocket server, as documented in
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages. Only types and schemas live
 * here; decoding is in `_decode.ts`.
 */
import { z } from 'zod';
import { AccountSidSchema, CallSidSchema, DecimalStringSchema, StreamSidSchema } from './_sids.js';

/** Payload format of every `media` message. Twilio documents these values as fixed. */
export const MEDIA_FORMAT = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;

export const ConnectedMessageSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

export const StartMessageSchema = z
  .object({
    event: z.literal('start'),
    sequenceNumber: DecimalStringSchema,
    streamSid: StreamSidSchema,
    start: z.object({
      streamSid: StreamSidSchema,
      accountSid: AccountSidSchema,
      callSid: CallSidSchema,
      tracks: z.array(z.enum(['inbound', 'outbound'])).min(1),
      // Twilio always sends the object (empty without <Parameter>s); tolerate its absence anyway.
      customParameters: z.record(z.string(), z.string()).default({}),
      mediaFormat: z.object({
        encoding: z.literal(MEDIA_FORMAT.encoding),
        sampleRate: z.literal(MEDIA_FORMAT.sampleRate),
        channels: z.literal(MEDIA_FORMAT.channels),
      }),
    }),
  })
  .refine((m) => m.streamSid === m.start.streamSid, {
    message: 'streamSid differs from start.streamSid',
    path: ['start', 'streamSid'],
  });

export const MediaMessageSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: DecimalStringSchema,
  streamSid: StreamSidSchema,
  media: z.object({
    track: z.enum(['inbound', 'outbound']),
    chunk: DecimalStringSchema,
    /** Presentation time in milliseconds from the start of the stream. */
    timestamp: DecimalStringSchema,
    /** Base64 μ-law; its format is checked by the decoder (error code `invalid_payload`). */
    payload: z.string(),
  }),
});

/** DTMF keys: digits, star, pound, and the rarely used A–D column. */
export const DtmfDigitSchema = z.string().regex(/^[0-9*#A-D]$/, 'expected one DTMF key: 0-9, *, #, A-D');

export const DtmfMessageSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: DecimalStringSchema,
  streamSid: StreamSidSchema,
  dtmf: z.object({
    /** Documented as always `inbound_track`; kept open so a new value does not refuse a key press. */
    track: z.string().min(1),
    digit: DtmfDigitSchema,
  }),
});

export const MarkMessageSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: DecimalStringSchema,
  streamSid: StreamSidSchema,
  mark: z.object({ name: z.string() }),
});

export const StopMessageSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: DecimalStringSchema,
  streamSid: StreamSidSchema,
  stop: z.object({
    accountSid: AccountSidSchema,
    callSid: CallSidSchema,
  }),
});

export type ConnectedMessage = z.infer<typeof ConnectedMessageSchema>;
export type StartMessage = z.infer<typeof StartMessageSchema>;
export type MediaMessage = z.infer<typeof MediaMessageSchema>;
export type DtmfMessage = z.infer<typeof DtmfMessageSchema>;
export type MarkMessage = z.infer<typeof MarkMessageSchema>;
export type StopMessage = z.infer<typeof StopMessageSchema>;

/** Anything Twilio sends on a Media Stream. */
export type InboundMessage =
  ConnectedMessage | StartMessage | MediaMessage | DtmfMessage | MarkMessage | StopMessage;

export type InboundEvent = InboundMessage['event'];

/** Schema per event name, so the decoder picks one by `event` and reports that schema's issues. */
export const InboundMessageSchemas = {
  connected: ConnectedMessageSchema,
  start: StartMessageSchema,
  media: MediaMessageSchema,
  dtmf: DtmfMessageSchema,
  mark: MarkMessageSchema,
  stop: StopMessageSchema,
} as const satisfies Record<InboundEvent, z.ZodType>;
