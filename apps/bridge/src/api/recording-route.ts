import { stat } from 'node:fs/promises';
import type { RequestHandler } from 'express';
import type { CallRecorder } from '../records/call-recorder.js';
import type { CallStore } from '../records/call-store.js';
import { sendError } from './errors.js';

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

/** Why a call has no recording to serve, in words an operator can act on. */
function whyNone(record: { outcome: string | null; callSid: string }, recordingOn: boolean): string {
  if (record.outcome === null)
    return `call ${record.callSid} is still going; its recording is available once it ends`;
  if (!recordingOn) return `call ${record.callSid} has no recording: call recording is off (RECORD_CALLS)`;
  return `call ${record.callSid} has no recording (it never streamed, or the recording was deleted by retention)`;
}

/**
 * `GET /api/calls/:sid/recording`: the call's two-channel WAV (`audio/wav`, ranges supported for
 * players). Each listen (a request from the file's start) is written into the call record as an
 * action of the operator, or of `api-key` for an API client.
 */
export function recordingRoute(deps: {
  store: Promise<CallStore>;
  recorder?: Pick<CallRecorder, 'operatorAction'>;
  recordingOn: boolean;
}): RequestHandler {
  return async (req, res) => {
    const sid = String(req.params.sid);
    if (!CALL_SID.test(sid)) return sendError(res, 400, 'invalid_sid', 'a CallSid is CA + 32 hex digits');
    const record = await (await deps.store).get(sid);
    if (!record) return sendError(res, 404, 'not_found', `no call record for ${sid}`);
    const path = record.recordingPath;
    const file = path ? await stat(path).catch(() => undefined) : undefined;
    const operator = (res.locals.operator as string | undefined) ?? 'api-key';
    const range = req.headers.range;
    const fromStart = range === undefined || /^bytes=0-/.test(range);
    if (fromStart) {
      await deps.recorder?.operatorAction(sid, {
        ...{ operator, action: 'recording', detail: null, at: Date.now() },
        result: file?.isFile() ? 'ok' : 'no_recording',
      });
    }
    if (!path || !file?.isFile())
      return sendError(res, 404, 'no_recording', whyNone(record, deps.recordingOn));
    res.sendFile(path, {
      headers: { 'Content-Type': 'audio/wav', 'Cache-Control': 'private, no-cache' },
      dotfiles: 'allow',
    });
  };
}
