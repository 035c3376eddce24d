/**
 * RPCs the agent performs on the phone participant (the bridge answers them). Payloads and replies
 * are JSON text. A refusal is an RpcError with one of RPC_ERROR_CODES and a message safe to pass to
 * the model.
 */
import { z } from 'zod';

export const RPC_METHODS = {
  /** End the call. Payload: HangupRequest. */
  hangup: 'hangup',
  /** Transfer the caller to another number (it must be on the bridge's allow list). Payload: TransferRequest. */
  transfer: 'transfer',
  /**
   * The agent's speech was interrupted: the bridge stops the caller's playback (if it has not
   * already) and replies with how much of that utterance the caller heard (PlaybackInterruptedReply),
   * which trails what LiveKit played out by whatever Twilio still had buffered.
   * Payload: PlaybackInterruptedRequest.
   */
  playbackInterrupted: 'playbackInterrupted',
  /**
   * The agent reports the task's result (outbound calls placed with a `result_schema`). Payload:
   * ResultReport. The bridge validates it against the call's schema and stores it; a result that
   * does not fit is refused (1400) with a message naming each problem, for the model to correct.
   */
  reportResult: 'report_result',
} as const;
export type RpcMethod = (typeof RPC_METHODS)[keyof typeof RPC_METHODS];

export const hangupRequestSchema = z.object({
  /** Why the agent ends the call, for the logs. */
  reason: z.string().optional(),
});
export type HangupRequest = z.infer<typeof hangupRequestSchema>;

/** Longest transfer summary the bridge accepts (it is read aloud to the human before connecting). */
export const TRANSFER_SUMMARY_MAX = 600;

export const transferRequestSchema = z.object({
  /** The number to transfer to, as listed in the bridge's TRANSFER_ALLOWLIST. */
  to: z.string().min(1),
  /**
   * What the human hears before being connected (a warm transfer): who is calling and what they
   * need, in a sentence or two. Optional: without it they hear a generic line.
   */
  summary: z.string().trim().min(1).max(TRANSFER_SUMMARY_MAX).optional(),
});
export type TransferRequest = z.infer<typeof transferRequestSchema>;

export const playbackInterruptedRequestSchema = z.object({
  /** How far the agent's own audio output got, in ms (for the bridge's logs). */
  playedMs: z.number().nonnegative().optional(),
});
export type PlaybackInterruptedRequest = z.infer<typeof playbackInterruptedRequestSchema>;

export const playbackInterruptedReplySchema = z.discriminatedUnion('cut', [
  /** The caller had heard the whole utterance: nothing was cut. */
  z.object({ cut: z.literal(false) }),
  /** Cut: the caller heard `heardMs` of the utterance's `sentMs` (from its first frame sent). */
  z.object({
    cut: z.literal(true),
    heardMs: z.number().nonnegative(),
    sentMs: z.number().nonnegative(),
  }),
]);
export type PlaybackInterruptedReply = z.infer<typeof playbackInterruptedReplySchema>;
export const resultReportSchema = z.object({
  /** The result, as an object matching the call's result schema (see result-schema.ts). */
  result: z.record(z.string(), z.unknown()),
});
export type ResultReport = z.infer<typeof resultReportSchema>;

/** The bridge's reply to an RPC it accepted. */
export const rpcOkSchema = z.object({ ok: z.literal(true) });
export type RpcOk = z.infer<typeof rpcOkSchema>;
export const RPC_OK: RpcOk = { ok: true };

export const RPC_ERROR_CODES = {
  /** The payload is not the JSON the method takes. */
  badPayload: 1400,
  /** Understood but refused (e.g. a transfer target not on the allow list). */
  refused: 1403,
} as const;

/** Parses an RPC's JSON payload with its schema; `json: false` when the payload is not JSON at all. */
export function parseRpcPayload<T extends z.ZodType>(
  schema: T,
  payload: string,
): { ok: true; value: z.infer<T> } | { ok: false; json: boolean; issue: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, json: false, issue: 'payload is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const first = parsed.error.issues[0];
  return { ok: false, json: true, issue: `${first?.path.join('.') || 'payload'}: ${first?.message}` };
}
