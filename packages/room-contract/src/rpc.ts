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

export const transferRequestSchema = z.object({
  /** The number to transfer to, as listed in the bridge's TRANSFER_ALLOWLIST. */
  to: z.string().min(1),
});
export type TransferRequest = z.infer<typeof transferRequestSchema>;

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
