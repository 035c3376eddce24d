/**
 * The OpenAI Realtime GA wire protocol as far as the simulator speaks it: client event schemas
 * (validated, so a malformed event gets the same kind of `error` event the real API sends) and
 * the resource shapes the server sends back. No logic lives here.
 *
 * Source: the public Realtime GA reference (client/server events) and the way
 * `@livekit/agents-plugin-openai` 1.9 uses them (`realtime/realtime_model.ts`).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const SAMPLE_RATE = 24_000;

/** Ids look like the real ones (`item_…`, `resp_…`), so clients that log or parse them behave the same. */
export function newId(prefix: 'event' | 'item' | 'resp' | 'call' | 'sess' | 'conv'): string {
  return `${prefix}_${randomBytes(11).toString('base64url').slice(0, 22)}`;
}

const turnDetectionSchema = z.union([
  z.object({
    type: z.literal('server_vad'),
    threshold: z.number().min(0).max(1).optional(),
    prefix_padding_ms: z.number().int().min(0).optional(),
    silence_duration_ms: z.number().int().min(0).optional(),
    idle_timeout_ms: z.number().int().nullable().optional(),
    create_response: z.boolean().optional(),
    interrupt_response: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('semantic_vad'),
    eagerness: z.enum(['auto', 'low', 'medium', 'high']).optional(),
    create_response: z.boolean().optional(),
    interrupt_response: z.boolean().optional(),
  }),
]);

const audioFormatSchema = z.object({ type: z.string(), rate: z.number().optional() });

const toolSchema = z.object({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const sessionUpdateSchema = z.object({
  type: z.literal('session.update'),
  event_id: z.string().optional(),
  session: z.looseObject({
    type: z.literal('realtime').optional(),
    model: z.string().optional(),
    instructions: z.string().optional(),
    output_modalities: z.array(z.enum(['audio', 'text'])).optional(),
    tools: z.array(toolSchema).optional(),
    tool_choice: z.union([z.string(), z.object({ type: z.string(), name: z.string() })]).optional(),
    max_output_tokens: z.union([z.number(), z.literal('inf')]).optional(),
    audio: z
      .object({
        input: z
          .object({
            format: audioFormatSchema.optional(),
            transcription: z.looseObject({ model: z.string() }).nullable().optional(),
            noise_reduction: z.looseObject({ type: z.string() }).nullable().optional(),
            turn_detection: turnDetectionSchema.nullable().optional(),
          })
          .optional(),
        output: z
          .object({
            format: audioFormatSchema.optional(),
            voice: z.string().optional(),
            speed: z.number().optional(),
          })
          .optional(),
      })
      .optional(),
  }),
});

const contentPartSchema = z.looseObject({
  type: z.enum(['input_text', 'input_audio', 'input_image', 'text', 'output_text', 'audio', 'output_audio']),
  text: z.string().optional(),
  audio: z.string().optional(),
  transcript: z.string().nullable().optional(),
});

export const itemSchema = z.discriminatedUnion('type', [
  z.object({
    id: z.string().optional(),
    type: z.literal('message'),
    role: z.enum(['user', 'assistant', 'system']),
    status: z.string().optional(),
    content: z.array(contentPartSchema),
  }),
  z.object({
    id: z.string().optional(),
    type: z.literal('function_call'),
    status: z.string().optional(),
    call_id: z.string().min(1),
    name: z.string().min(1),
    arguments: z.string(),
  }),
  z.object({
    id: z.string().optional(),
    type: z.literal('function_call_output'),
    status: z.string().optional(),
    call_id: z.string().min(1),
    output: z.string(),
  }),
]);
export type ClientItem = z.infer<typeof itemSchema>;

export const clientEventSchemas = {
  'session.update': sessionUpdateSchema,
  'input_audio_buffer.append': z.object({
    type: z.literal('input_audio_buffer.append'),
    event_id: z.string().optional(),
    audio: z.string(),
  }),
  'input_audio_buffer.commit': z.object({
    type: z.literal('input_audio_buffer.commit'),
    event_id: z.string().optional(),
  }),
  'input_audio_buffer.clear': z.object({
    type: z.literal('input_audio_buffer.clear'),
    event_id: z.string().optional(),
  }),
  'conversation.item.create': z.object({
    type: z.literal('conversation.item.create'),
    event_id: z.string().optional(),
    previous_item_id: z.string().nullable().optional(),
    item: itemSchema,
  }),
  'conversation.item.truncate': z.object({
    type: z.literal('conversation.item.truncate'),
    event_id: z.string().optional(),
    item_id: z.string(),
    content_index: z.number().int().min(0),
    audio_end_ms: z.number().int().min(0),
  }),
  'conversation.item.delete': z.object({
    type: z.literal('conversation.item.delete'),
    event_id: z.string().optional(),
    item_id: z.string(),
  }),
  'response.create': z.object({
    type: z.literal('response.create'),
    event_id: z.string().optional(),
    response: z
      .looseObject({
        instructions: z.string().optional(),
        metadata: z.record(z.string(), z.string()).optional(),
        tool_choice: z.unknown().optional(),
        output_modalities: z.array(z.string()).optional(),
        conversation: z.string().optional(),
      })
      .optional(),
  }),
  'response.cancel': z.object({
    type: z.literal('response.cancel'),
    event_id: z.string().optional(),
    response_id: z.string().optional(),
  }),
} as const;

export type ClientEventType = keyof typeof clientEventSchemas;
export type ClientEvent<T extends ClientEventType> = z.infer<(typeof clientEventSchemas)[T]>;
export type TurnDetection = z.infer<typeof turnDetectionSchema>;
export type ToolDefinition = z.infer<typeof toolSchema>;

/** The session resource, in the GA shape the server reports in `session.created`/`session.updated`. */
export interface SessionResource {
  type: 'realtime';
  object: 'realtime.session';
  id: string;
  model: string;
  output_modalities: Array<'audio' | 'text'>;
  instructions: string;
  tools: ToolDefinition[];
  tool_choice: unknown;
  max_output_tokens: number | 'inf';
  tracing: unknown;
  expires_at: number;
  audio: {
    input: {
      format: { type: string; rate?: number };
      transcription: { model: string; [k: string]: unknown } | null;
      noise_reduction: { type: string } | null;
      turn_detection: TurnDetection | null;
    };
    output: {
      format: { type: string; rate?: number };
      voice: string;
      speed: number;
    };
  };
  [extra: string]: unknown;
}

/** Conversation items as the server reports them (ids always set). */
export type ServerItem =
  | {
      id: string;
      object: 'realtime.item';
      type: 'message';
      role: 'user' | 'assistant' | 'system';
      status: 'completed' | 'in_progress' | 'incomplete';
      content: Array<Record<string, unknown>>;
    }
  | {
      id: string;
      object: 'realtime.item';
      type: 'function_call';
      status: 'completed' | 'in_progress' | 'incomplete';
      call_id: string;
      name: string;
      arguments: string;
    }
  | {
      id: string;
      object: 'realtime.item';
      type: 'function_call_output';
      status: 'completed';
      call_id: string;
      output: string;
    };

export interface ErrorBody {
  type: 'invalid_request_error' | 'server_error' | string;
  code?: string | null;
  message: string;
  param?: string | null;
  event_id?: string | null;
}

export function defaultSession(model: string): SessionResource {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: newId('sess'),
    model,
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: SAMPLE_RATE },
        transcription: null,
        noise_reduction: null,
        turn_detection: {
          type: 'server_vad',
          threshold: 0.5,
          prefix_padding_ms: 300,
          silence_duration_ms: 200,
          idle_timeout_ms: null,
          create_response: true,
          interrupt_response: true,
        },
      },
      output: { format: { type: 'audio/pcm', rate: SAMPLE_RATE }, voice: 'alloy', speed: 1 },
    },
  };
}
