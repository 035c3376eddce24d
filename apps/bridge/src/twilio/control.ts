import { dialTwiml } from '@callbridge/twilio-media';
import { createTwilioRestClient } from './rest-client.js';

/** Call control through Twilio's REST API; a no-op without credentials (streams still end). */
export interface TwilioControl {
  readonly canControlCalls: boolean;
  complete(callSid: string): Promise<void>;
  transfer(callSid: string, to: string): Promise<void>;
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
      async transfer() {
        throw new Error('transfer needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
      },
    };
  }
  const client = createTwilioRestClient({ ...opts, accountSid: opts.accountSid, authToken: opts.authToken });
  return {
    canControlCalls: true,
    async complete(callSid) {
      await client.calls(callSid).update({ status: 'completed' });
    },
    async transfer(callSid, to) {
      await client.calls(callSid).update({ twiml: dialTwiml(to) });
    },
  };
}
