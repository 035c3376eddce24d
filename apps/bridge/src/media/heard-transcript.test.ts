import { describe, expect, it } from 'vitest';
import type { TranscriptLine } from '../records/schema.js';
import { HeardTranscript } from './heard-transcript.js';

const agent = (text: string, at: number): TranscriptLine => ({
  speaker: 'agent',
  identity: 'agent-1',
  text,
  at,
});
const caller = (text: string, at: number): TranscriptLine => ({
  speaker: 'caller',
  identity: 'phone-1',
  text,
  at,
});
const SAID = 'Your appointment is on Tuesday at ten in the morning.';

function setup() {
  const recorded: TranscriptLine[] = [];
  let hearing = false;
  let now = 1000;
  const t = new HeardTranscript(
    (l) => void recorded.push(l),
    () => hearing,
    () => now,
  );
  return { t, recorded, hearing: (v: boolean) => (hearing = v), at: (v: number) => (now = v) };
}

describe('HeardTranscript', () => {
  it('records caller lines and agent lines the caller has already heard at once', () => {
    const s = setup();
    s.t.line(caller('Hello?', 1));
    s.t.line(agent(SAID, 2));
    expect(s.recorded.map((l) => l.text)).toEqual(['Hello?', SAID]);
  });

  it('holds an agent line while its audio still plays at the caller, then records it whole or cut', () => {
    const whole = setup();
    whole.hearing(true);
    whole.t.line(agent(SAID, 2));
    expect(whole.recorded).toEqual([]);
    whole.t.release(); // the utterance's mark came back
    expect(whole.recorded.map((l) => l.text)).toEqual([SAID]);

    const cut = setup();
    cut.hearing(true);
    cut.t.line(agent(SAID, 2));
    cut.t.cleared({ utterance: 1, heardMs: 1200, sentMs: 2000 });
    expect(cut.recorded.map((l) => l.text)).toEqual(['Your appointment is on Tuesday']);
  });

  it('cuts a line that arrives after the clear it belongs to, and no later one', () => {
    const s = setup();
    s.at(5000);
    s.t.cleared({ utterance: 1, heardMs: 700, sentMs: 2000 });
    s.t.line(agent(SAID, 4000)); // opened before the clear
    s.t.line(agent('Next reply.', 6000));
    expect(s.recorded.map((l) => l.text)).toEqual(['Your appointment', 'Next reply.']);
  });
});
