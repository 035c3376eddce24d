/**
 * `session.update` applied to the session resource: fields the client leaves out keep their
 * values, the model stays the one of the URL, and audio must be PCM at the simulator's rate.
 */
import { SAMPLE_RATE, type ClientEvent, type ErrorBody, type SessionResource } from './_protocol.js';

export function updatedSession(
  current: SessionResource,
  update: ClientEvent<'session.update'>['session'],
): { ok: true; session: SessionResource } | { ok: false; error: ErrorBody } {
  const { audio, ...rest } = update;
  for (const format of [audio?.input?.format, audio?.output?.format]) {
    if (format && (format.type !== 'audio/pcm' || (format.rate ?? SAMPLE_RATE) !== SAMPLE_RATE)) {
      const error = {
        type: 'invalid_request_error',
        code: 'unsupported_audio_format',
        message: `The simulator only speaks audio/pcm at ${SAMPLE_RATE} Hz, got ${format.type}@${format.rate}.`,
      };
      return { ok: false, error };
    }
  }
  const input = { ...current.audio.input, ...definedOnly(audio?.input) };
  const output = { ...current.audio.output, ...definedOnly(audio?.output) };
  const session = {
    ...current,
    ...definedOnly(rest),
    model: current.model,
    audio: { input, output },
  } as SessionResource;
  return { ok: true, session };
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
