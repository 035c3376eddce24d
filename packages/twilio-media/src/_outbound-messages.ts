/**
 * Messages our server may send back on a bidirectional (`<Connect><Stream>`) Media Stream, per
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages#send-websocket-messages-to-twilio.
 * Twilio accepts only these three; anything else is its error 31924.
 */
import { z } from 'zod';
import { StreamSidSchema } from './_sids.js';

export const OutboundMediaMessageSchema = z.object({
  event: z.literal('media'),
  streamSid: StreamSidSchema,
  media: z.object({
    /** Base64 of raw μ-law 8 kHz mono, without file headers. */
    payload: z.string(),
  }),
});

export const OutboundMarkMessageSchema = z.object({
  event: z.literal('mark'),
  streamSid: StreamSidSchema,
  mark: z.object({ name: z.string().min(1, 'mark.name must not be empty') }),
});

export const OutboundClearMessageSchema = z.object({
  event: z.literal('clear'),
  streamSid: StreamSidSchema,
});

export type OutboundMediaMessage = z.infer<typeof OutboundMediaMessageSchema>;
export type OutboundMarkMessage = z.infer<typeof OutboundMarkMessageSchema>;
export type OutboundClearMessage = z.infer<typeof OutboundClearMessageSchema>;
export type OutboundMessage = OutboundMediaMessage | OutboundMarkMessage | OutboundClearMessage;
export type OutboundEvent = OutboundMessage['event'];

export const OutboundMessageSchemas = {
  media: OutboundMediaMessageSchema,
  mark: OutboundMarkMessageSchema,
  clear: OutboundClearMessageSchema,
} as const satisfies Record<OutboundEvent, z.ZodType>;
