import { createTwilioRestClient } from '../twilio/rest-client.js';

export interface PlaceCallParams {
  to: string;
  from: string;
  /** Our voice webhook: Twilio requests it when the callee answers. */
  url: string;
  statusCallback: string;
  ringTimeoutS: number;
  machineDetection: 'off' | 'Enable' | 'DetectMessageEnd';
  /** Asynchronous detection: the call connects at once and the verdict is POSTed here. */
  asyncAmdCallback?: string;
}

/** Twilio refused to place the call (bad number, unverified caller ID, account limits, …). */
export class TwilioCallError extends Error {
  override name = 'TwilioCallError';
  constructor(
    message: string,
    readonly twilioCode: number | undefined,
    readonly httpStatus: number | undefined,
  ) {
    super(message);
  }
}

export interface TwilioCalls {
  create(params: PlaceCallParams): Promise<{ sid: string; status: string }>;
}

/** Places calls with the `twilio` REST client (a simulator's when `apiBaseUrl` is set). */
export function createTwilioCalls(opts: {
  accountSid: string;
  authToken: string;
  apiBaseUrl?: string;
}): TwilioCalls {
  const client = createTwilioRestClient(opts);
  return {
    async create(p) {
      try {
        const call = await client.calls.create({
          to: p.to,
          from: p.from,
          url: p.url,
          method: 'POST',
          statusCallback: p.statusCallback,
          statusCallbackMethod: 'POST',
          statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
          timeout: p.ringTimeoutS,
          ...(p.machineDetection === 'off' ? {} : { machineDetection: p.machineDetection }),
          ...(p.machineDetection !== 'off' && p.asyncAmdCallback
            ? {
                asyncAmd: 'true',
                asyncAmdStatusCallback: p.asyncAmdCallback,
                asyncAmdStatusCallbackMethod: 'POST',
              }
            : {}),
        });
        return { sid: call.sid, status: call.status };
      } catch (err) {
        const e = err as { message?: string; code?: number; status?: number };
        throw new TwilioCallError(e.message ?? String(err), e.code, e.status);
      }
    },
  };
}
