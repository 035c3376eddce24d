/**
 * The simulator's "voice": espeak-ng speech at the Realtime rate (24 kHz PCM16). Each OpenAI voice
 * name maps to a distinct espeak variant, so a test can tell that the configured voice reached
 * the model without the simulator pretending to sound like OpenAI.
 */
import { speechPcm } from '../audio-fixtures/index.js';
import { SAMPLE_RATE } from './_protocol.js';

const VARIANTS: Record<string, string> = {
  alloy: 'en-us+f3',
  ash: 'en-us+m3',
  ballad: 'en-us+m5',
  coral: 'en-us+f2',
  echo: 'en-us+m1',
  sage: 'en-us+f4',
  shimmer: 'en-us+f1',
  verse: 'en-us+m4',
  marin: 'en-us+f5',
  cedar: 'en-us+m2',
};

/** Unknown voice names still get a stable variant, chosen from the name. */
export function espeakVoiceFor(voice: string): string {
  const known = VARIANTS[voice];
  if (known) return known;
  const names = Object.values(VARIANTS);
  let hash = 0;
  for (const ch of voice) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return names[hash % names.length] ?? 'en-us';
}

/** Speech for `text` in `voice`, at 24 kHz mono PCM16 (cached on disk by the fixture). */
export function synthesize(text: string, voice: string): Int16Array {
  return speechPcm({ text, sampleRate: SAMPLE_RATE, voice: espeakVoiceFor(voice), speed: 170 });
}
