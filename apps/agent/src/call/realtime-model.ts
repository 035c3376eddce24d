/**
 * The OpenAI Realtime model for one call, built from config (and the call's voice and language).
 * The plugin reconnects on its own when the socket drops; the subclass only reports it.
 */
import * as openai from '@livekit/agents-plugin-openai';
import type { AgentConfig } from '../config.js';

type ModelOptions = NonNullable<ConstructorParameters<typeof openai.realtime.RealtimeModel>[0]>;

class ObservedRealtimeModel extends openai.realtime.RealtimeModel {
  readonly #onReconnect: () => void;

  constructor(options: ModelOptions, onReconnect: () => void) {
    super(options);
    this.#onReconnect = onReconnect;
  }

  override session(): openai.realtime.RealtimeSession {
    const session = super.session();
    session.on('session_reconnected', () => this.#onReconnect());
    return session;
  }
}

/** Per-call settings over the worker's: the call's voice and the language it is transcribed in. */
export interface ModelOverrides {
  voice?: string;
  /** ISO 639-1; helps the transcription of the caller's speech. */
  language?: string;
}

export function realtimeModelOptions(config: AgentConfig, overrides: ModelOverrides = {}): ModelOptions {
  const td = config.turnDetection;
  return {
    apiKey: config.openai.apiKey,
    baseURL: config.openai.baseUrl,
    model: config.openai.model,
    voice: overrides.voice ?? config.openai.voice,
    turnDetection:
      td.type === 'server_vad'
        ? {
            type: 'server_vad',
            threshold: td.threshold,
            prefix_padding_ms: td.prefixPaddingMs,
            silence_duration_ms: td.silenceDurationMs,
            create_response: true,
            interrupt_response: true,
          }
        : { type: 'semantic_vad', eagerness: td.eagerness, create_response: true, interrupt_response: true },
    inputAudioTranscription: config.openai.transcriptionModel
      ? {
          model: config.openai.transcriptionModel,
          ...(overrides.language && { language: overrides.language }),
        }
      : null,
  };
}

export function createRealtimeModel(
  config: AgentConfig,
  overrides: ModelOverrides,
  onReconnect: () => void,
): openai.realtime.RealtimeModel {
  return new ObservedRealtimeModel(realtimeModelOptions(config, overrides), onReconnect);
}
