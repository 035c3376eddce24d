import twilio from 'twilio';
import { dialTwiml } from '@callbridge/twilio-media';

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
  const client = twilio(opts.accountSid, opts.authToken);
  if (opts.apiBaseUrl) {
    // The twilio client builds https://api.twilio.com URLs; a simulator stands in by rewriting them.
    const base = opts.apiBaseUrl.replace(/\/+$/, '');
    const request = client.request.bind(client);
    client.request = (req) => request({ ...req, uri: req.uri?.replace(/^https:\/\/api\.twilio\.com/, base) });
  }
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
