import { createTwilioRestClient } from './rest-client.js';

/**
 * Call control through Twilio's REST API; a no-op without credentials (streams still end).
 * Transfers need none: the bridge ends the stream and answers Twilio's next request with a `<Dial>`.
 */
export interface TwilioControl {
  readonly canControlCalls: boolean;
  complete(callSid: string): Promise<void>;
}

export function createTwilioControl(opts: {
  accountSid?: string;
  authToken?: string;
  apiBaseUrl?: string;
}): TwilioControl {
  if (!opts.accountSid || !opts.authToken) {
    return {
      canControlCalls: false,
      async complete() {},
    };
  }
  const client = createTwilioRestClient({ ...opts, accountSid: opts.accountSid, authToken: opts.authToken });
  return {
    canControlCalls: true,
    async complete(callSid) {
      await client.calls(callSid).update({ status: 'completed' });
    },
  };
}
