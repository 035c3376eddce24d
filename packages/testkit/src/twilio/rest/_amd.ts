/**
 * Twilio's answering machine detection, as its docs describe it, over the audio the simulated
 * callee actually plays. Detection listens from the moment the call is answered:
 *
 * - initial silence longer than `MachineDetectionSilenceTimeout` (5000 ms) → `unknown`;
 * - speech shorter than `MachineDetectionSpeechThreshold` (2400 ms) followed by
 *   `MachineDetectionSpeechEndThreshold` (1200 ms) of silence → `human`;
 * - longer speech → a machine: with `MachineDetection=Enable`, `machine_start` as soon as the
 *   speech passes the threshold; with `DetectMessageEnd`, at the end of the message:
 *   `machine_end_beep` right after a beep, else `machine_end_silence` after the end threshold.
 *
 * With `AsyncAmd=true` the call is connected at once (the voice webhook carries no `AnsweredBy`)
 * and the verdict is POSTed to `AsyncAmdStatusCallback` with `AccountSid`, `CallSid`, `AnsweredBy`
 * and `MachineDetectionDuration` (ms). Without it, the webhook waits for the verdict.
 */
import { speechPcm, tone } from '../../audio-fixtures/index.js';
import type { SimulatedCall } from '../_call.js';
import { postSignedForm } from '../_signed-post.js';

export interface AmdSettings {
  mode: 'Enable' | 'DetectMessageEnd';
  async: boolean;
  asyncCallback: string | null;
  speechThresholdMs: number;
  speechEndThresholdMs: number;
  silenceTimeoutMs: number;
}

/** The detection the request asked for (Twilio's defaults for tuning parameters not given). */
export function amdSettings(form: Record<string, string[]>): AmdSettings | null {
  const get = (k: string) => form[k]?.[0];
  const mode = get('MachineDetection');
  if (mode !== 'Enable' && mode !== 'DetectMessageEnd') return null;
  const num = (k: string, d: number) => (get(k) === undefined ? d : Number(get(k)));
  return {
    mode,
    async: get('AsyncAmd') === 'true',
    asyncCallback: get('AsyncAmdStatusCallback') ?? null,
    speechThresholdMs: num('MachineDetectionSpeechThreshold', 2400),
    speechEndThresholdMs: num('MachineDetectionSpeechEndThreshold', 1200),
    silenceTimeoutMs: num('MachineDetectionSilenceTimeout', 5000),
  };
}

/** What the callee plays on answering: a person's "Hello?", or a voicemail greeting and its beep. */
export interface CalleeVoice {
  /** Spoken with espeak-ng at 8 kHz. */
  greeting?: string;
  /** A voicemail beep after the greeting: 1 kHz for 500 ms, after 400 ms of silence. */
  beep?: boolean;
}

export const BEEP = { frequency: 1000, durationMs: 500, gapMs: 400 } as const;
const RATE = 8000;

export interface CalleeAudio {
  pcm: Int16Array;
  /** Where the speech ends and (if any) the beep ends, in ms from the start. */
  speechMs: number;
  beepEndMs: number | null;
}

export function calleeAudio(voice: CalleeVoice): CalleeAudio {
  const speech = voice.greeting ? speechPcm({ text: voice.greeting, sampleRate: RATE }) : new Int16Array(0);
  const speechMs = (speech.length / RATE) * 1000;
  if (!voice.beep) return { pcm: speech, speechMs, beepEndMs: null };
  const gap = new Int16Array((BEEP.gapMs * RATE) / 1000);
  const beep = tone({ frequency: BEEP.frequency, sampleRate: RATE, durationMs: BEEP.durationMs, dbfs: -6 });
  const pcm = new Int16Array(speech.length + gap.length + beep.length);
  pcm.set(speech, 0);
  pcm.set(beep, speech.length + gap.length);
  return { pcm, speechMs, beepEndMs: speechMs + BEEP.gapMs + BEEP.durationMs };
}

export interface Verdict {
  answeredBy: 'human' | 'machine_start' | 'machine_end_beep' | 'machine_end_silence' | 'unknown';
  /** When detection reaches it, in ms from the answer. */
  atMs: number;
}

export function detect(audio: CalleeAudio, s: AmdSettings): Verdict {
  if (audio.speechMs === 0) return { answeredBy: 'unknown', atMs: s.silenceTimeoutMs };
  if (audio.speechMs < s.speechThresholdMs)
    return { answeredBy: 'human', atMs: audio.speechMs + s.speechEndThresholdMs };
  if (s.mode === 'Enable') return { answeredBy: 'machine_start', atMs: s.speechThresholdMs };
  if (audio.beepEndMs !== null) return { answeredBy: 'machine_end_beep', atMs: audio.beepEndMs };
  return { answeredBy: 'machine_end_silence', atMs: audio.speechMs + s.speechEndThresholdMs };
}

/** The verdict as posted to `AsyncAmdStatusCallback` (`atMs`: when it was sent, performance clock). */
export interface AmdPosted {
  answeredBy: Verdict['answeredBy'];
  atMs: number;
  httpStatus: number | null;
}

/**
 * Asynchronous detection on a connected call: the callee plays its voice into the stream while
 * detection listens, then the signed verdict is posted. Nothing is posted once the call is over.
 */
export async function runAsyncAmd(opts: {
  call: SimulatedCall;
  settings: AmdSettings;
  voice: CalleeVoice;
  accountSid: string;
  authToken: string;
}): Promise<AmdPosted | null> {
  const { call, settings } = opts;
  const audio = calleeAudio(opts.voice);
  const verdict = detect(audio, settings);
  const startedAt = performance.now();
  const playing = audio.pcm.length > 0 ? call.sendAudio(audio.pcm).catch(() => undefined) : Promise.resolve();
  // A verdict at the end of the audio waits for it to be played out, so it never comes early.
  const atEnd = verdict.answeredBy === 'machine_end_beep';
  const hungUp = await Promise.race([
    call.ended.then(() => true),
    (atEnd ? playing : new Promise((r) => setTimeout(r, verdict.atMs))).then(() => false),
  ]);
  if (hungUp || settings.asyncCallback === null) return null;
  const sentAtMs = performance.now();
  const result = await postSignedForm({
    url: settings.asyncCallback,
    authToken: opts.authToken,
    params: {
      AccountSid: opts.accountSid,
      CallSid: call.callSid,
      AnsweredBy: verdict.answeredBy,
      MachineDetectionDuration: String(Math.round(sentAtMs - startedAt)),
    },
  });
  return { answeredBy: verdict.answeredBy, atMs: sentAtMs, httpStatus: result.ok ? result.status : null };
}
