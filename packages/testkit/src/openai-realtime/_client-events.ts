/**
 * A client frame read as a Realtime client event: JSON, a known `type`, then that type's schema.
 * What fails gets the `error` body the real API would send (echoing the client's event_id).
 */
import { clientEventSchemas, type ClientEventType, type ErrorBody } from './_protocol.js';

export type ReadClientEvent =
  | {
      ok: true;
      type: ClientEventType;
      /** The event as its schema parsed it (ClientEvent<type>). */
      event: unknown;
      eventId: string | null;
      /** The frame as received, for the event log. */
      body: Record<string, unknown>;
    }
  | {
      ok: false;
      error: ErrorBody;
      /** The frame as received, when it was a JSON object at all. */
      body: Record<string, unknown> | undefined;
    };

export function readClientEvent(data: Buffer, isBinary: boolean): ReadClientEvent {
  let raw: unknown;
  try {
    raw = isBinary ? undefined : JSON.parse(data.toString('utf8'));
  } catch {
    raw = undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    const error = { type: 'invalid_request_error', code: 'invalid_json', message: 'Expected a JSON object.' };
    return { ok: false, error, body: undefined };
  }
  const body = raw as Record<string, unknown>;
  const eventId = typeof body.event_id === 'string' ? body.event_id : null;
  const type = String(body.type);
  if (!(type in clientEventSchemas)) {
    const error: ErrorBody = {
      type: 'invalid_request_error',
      code: 'invalid_value',
      message: `Invalid value: '${type}'. Supported values are: ${Object.keys(clientEventSchemas).join(', ')}.`,
      param: 'type',
      event_id: eventId,
    };
    return { ok: false, error, body };
  }
  const parsed = clientEventSchemas[type as ClientEventType].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const error: ErrorBody = {
      type: 'invalid_request_error',
      code: 'invalid_value',
      message: `Invalid '${issue?.path.join('.') ?? type}': ${issue?.message ?? 'malformed event'}`,
      param: issue?.path.join('.') ?? null,
      event_id: eventId,
    };
    return { ok: false, error, body };
  }
  return { ok: true, type: type as ClientEventType, event: parsed.data, eventId, body };
}
