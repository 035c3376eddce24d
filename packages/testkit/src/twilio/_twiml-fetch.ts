/**
 * A TwiML document requested the way Twilio requests one (the voice webhook, a `<Redirect>`, a
 * `<Dial action>`): a signed form POST, then a 2xx answer's body read as TwiML.
 */
import { type FormPostResult, postSignedForm, type SignedPost } from './_signed-post.js';
import { type ParsedTwiml, readTwiml } from './_twiml-reader.js';

export interface FetchedTwiml {
  response: FormPostResult;
  /** performance.now() when the answer arrived. */
  answeredAtMs: number;
  /** The document, when the answer was a 2xx with TwiML Twilio can run. */
  twiml: ParsedTwiml | null;
  /** Why a 2xx answer was not TwiML Twilio could run (Twilio's error 12100 territory). */
  twimlError: string | null;
}

export async function fetchTwiml(post: SignedPost): Promise<FetchedTwiml> {
  const response = await postSignedForm(post);
  const answeredAtMs = performance.now();
  if (!response.ok || response.status < 200 || response.status >= 300) {
    return { response, answeredAtMs, twiml: null, twimlError: null };
  }
  try {
    return { response, answeredAtMs, twiml: readTwiml(response.body), twimlError: null };
  } catch (err) {
    return { response, answeredAtMs, twiml: null, twimlError: (err as Error).message };
  }
}
