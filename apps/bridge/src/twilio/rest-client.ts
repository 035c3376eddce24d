import twilio from 'twilio';

/**
 * The `twilio` REST client. `apiBaseUrl` (TWILIO_API_BASE_URL) points it at a simulator: the client
 * builds https://api.twilio.com URLs, which are rewritten onto that base.
 */
export function createTwilioRestClient(opts: {
  accountSid: string;
  authToken: string;
  apiBaseUrl?: string;
}): twilio.Twilio {
  const client = twilio(opts.accountSid, opts.authToken);
  if (opts.apiBaseUrl) {
    const base = opts.apiBaseUrl.replace(/\/+$/, '');
    const request = client.request.bind(client);
    client.request = (req) => request({ ...req, uri: req.uri?.replace(/^https:\/\/api\.twilio\.com/, base) });
  }
  return client;
}
