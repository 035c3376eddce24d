// The operator console in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
// against the real bridge serving the freshly built console, a real livekit-server and a simulated
// Twilio call: log in, the call appears live and leaves when it ends, its transcript and tool calls
// show up as they are said, listen-in plays both sides in the page (WebAudio level that follows the
// caller's speech), ending the call from the page writes the operator's action into the record, and
// the finished call's recording plays in the page (decoded there: caller left, agent right).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOOL_CALLS_TOPIC, TRANSCRIPTION_TOPIC } from '@callbridge/room-contract';
import { decimate, rmsDbfs, speechPcm, tone } from '@callbridge/testkit/audio-fixtures';
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { dispose } from '@livekit/rtc-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type TestBridge } from '../../bridge/test/_harness.js';
import { apiClient, startOutboundBridge } from '../../bridge/test/_records-harness.js';
import type { TwilioRestSimulator } from '@callbridge/testkit/twilio';
import { joinStandIn, speak, type StandIn } from '../../bridge/test/_stand-in.js';
import { loudPart, loudSpan, trackedCorrelation } from '../../bridge/test/_recording-audio.js';
import { toneProminence } from '../../bridge/test/_tones.js';
import {
  buildConsole,
  CONSOLE_ENV,
  launchOperatorBrowser,
  level,
  logIn,
  PASSWORD,
  SHOTS as shots,
  takeOverAndHandBack,
} from './_operator.js';

let lk: LiveKitServer;
let tb: TestBridge;
let rest: TwilioRestSimulator;
let closeBridge: () => Promise<void>;
let browser: Browser;
const recordings = mkdtempSync(join(tmpdir(), 'callbridge-console-recordings-'));

beforeAll(async () => {
  await buildConsole();
  lk = await startLiveKitServer();
  // The API on, and outbound calls (to +1555444…) through a Twilio REST simulator.
  const ob = await startOutboundBridge(lk, {
    env: { ...CONSOLE_ENV, ...{ RECORD_CALLS: 'true', RECORDINGS_DIR: recordings } },
  });
  ({ tb, rest } = ob);
  closeBridge = ob.close;
  browser = await launchOperatorBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await closeBridge?.();
  await lk?.stop();
  await dispose();
  rmSync(recordings, { recursive: true, force: true });
});

/** In the page: remembers when each call row first appears (the page's clock is the machine's). */
const NOTE_ROWS = `(() => {
  const seen = (window.seenAt = {});
  new MutationObserver(() => {
    for (const row of document.querySelectorAll('tr[data-sid]')) seen[row.dataset.sid] ??= Date.now();
  }).observe(document.body, { childList: true, subtree: true });
})()`;

/** In the page: the recording's player plays a moment of it (its clock moves), then pauses. */
const PLAY_A_MOMENT = `(async () => {
  const el = document.querySelector('[data-testid=recording] audio');
  const played = new Promise((resolve) =>
    el.addEventListener('timeupdate', () => el.currentTime > 0.2 && resolve()));
  await el.play();
  await played;
  el.pause();
})()`;

/** In the page: fetches a recording (session cookie) and decodes it at its own rate, as 16-bit samples. */
const DECODE_RECORDING = `async (url) => {
  const res = await fetch(url, { credentials: 'same-origin' });
  const wav = await new OfflineAudioContext(2, 1, 8000).decodeAudioData(await res.arrayBuffer());
  const pcm = (ch) => Array.from(wav.getChannelData(ch), (x) => Math.round(x * 32767));
  return { rate: wav.sampleRate, channels: wav.numberOfChannels, caller: pcm(0), agent: pcm(1) };
}`;

/** Samples a level every 50 ms while `during` runs. */
async function levelsWhile(page: Page, prefix: string, during: Promise<unknown>): Promise<number[]> {
  let done = false;
  void during.finally(() => (done = true));
  const out: number[] = [];
  while (!done) {
    out.push((await level(page, prefix)) ?? 0);
    await page.waitForTimeout(50);
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)] ?? 0;

async function sendText(standIn: StandIn, topic: string, text: string, attributes: Record<string, string>) {
  await standIn.agent.room.localParticipant!.sendText(text, { topic, attributes });
}

describe('the operator console in Chromium', () => {
  it('logs in, shows a call live with its transcript, listens in, and ends it', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto(`${tb.publicUrl}/`); // redirects to /console/
      await page.fill('input[name=name]', 'alice');
      await page.fill('input[name=password]', 'not the password');
      await page.click('button[type=submit]');
      await page.getByRole('alert').getByText('wrong name or password').waitFor();
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.getByRole('heading', { name: /Live calls/ }).waitFor();
      await page.locator('.feed-open').waitFor(); // the all-calls feed is connected
      await page.evaluate(NOTE_ROWS);

      const call = await tb.placeCall({ from: '+15551230042' });
      const row = page.locator(`tr[data-sid="${call.callSid}"]`);
      await row.waitFor();
      const api = apiClient(tb.publicUrl);
      const record = await api.waitForCall(call.callSid, (c) => c.webhook_at !== null);
      const seenAt = (await page.evaluate(`window.seenAt[${JSON.stringify(call.callSid)}]`)) as number;
      // Within a second of our webhook answering it.
      expect(seenAt - Date.parse(record.webhook_at)).toBeLessThan(1000);
      await expect(row.textContent()).resolves.toContain('+1555…0042');

      const standIn = await joinStandIn(lk, call.callSid);
      await row.locator('.state-listening').waitFor(); // the agent's state, live
      await page.screenshot({ path: join(shots, 'live-calls.png') });

      await row.click();
      await page.getByTestId('call-header').waitFor();
      // What each side says appears as it is said: the agent's words, the caller's (transcribed
      // for the phone's track), and a tool call with its arguments and result.
      const agentTrack = [...standIn.agent.room.localParticipant!.trackPublications.values()][0]!.sid!;
      await sendText(standIn, TRANSCRIPTION_TOPIC, 'Hello, how can I help you today?', {
        'lk.transcribed_track_id': agentTrack,
        'lk.transcription_final': 'true',
      });
      const phone = [...standIn.agent.room.remoteParticipants.values()].find((p) =>
        p.identity.startsWith('phone-'),
      )!;
      const phoneTrack = [...phone.trackPublications.values()][0]!.sid!;
      await sendText(standIn, TRANSCRIPTION_TOPIC, 'I would like to book an appointment.', {
        'lk.transcribed_track_id': phoneTrack,
        'lk.transcription_final': 'true',
      });
      const now = Date.now();
      await sendText(
        standIn,
        TOOL_CALLS_TOPIC,
        JSON.stringify({
          name: 'check_eligibility',
          arguments: { patientId: 'P-17' },
          result: { eligible: true },
          startedAt: now,
          endedAt: now + 5,
        }),
        {},
      );
      const timeline = page.getByTestId('timeline');
      await timeline.locator('[data-who=agent]', { hasText: 'Hello, how can I help you today?' }).waitFor();
      await timeline
        .locator('[data-who=caller]', { hasText: 'I would like to book an appointment.' })
        .waitFor();
      await timeline
        .locator('[data-kind=tool]', {
          hasText: 'check_eligibility({"patientId":"P-17"}) → {"eligible":true}',
        })
        .waitFor();

      // Listen in: the page joins the room hidden and plays both sides.
      await page.getByRole('button', { name: 'Listen in' }).click();
      await page.locator('[data-testid=listen][data-state=on]').waitFor();
      await waitFor(
        'the caller audible in the page',
        async () => (await level(page, 'phone-')) !== undefined,
      );
      await waitFor('the agent audible in the page', async () => (await level(page, 'agent-')) !== undefined);
      // The level the page measures follows the caller: line silence, then speech.
      const quiet = await levelsWhile(page, 'phone-', call.sendAudio(new Int16Array(8000 * 1.5)));
      const speech = speechPcm({
        text: 'I would like to book an appointment for Tuesday.',
        sampleRate: 8000,
      });
      const loud = await levelsWhile(page, 'phone-', call.sendAudio(speech));
      const after = await levelsWhile(page, 'phone-', call.sendAudio(new Int16Array(8000 * 1.5)));
      console.log(
        JSON.stringify({
          row_after_webhook_ms: seenAt - Date.parse(record.webhook_at),
          page_rms: { silence: median(quiet), speech_p90: percentile(loud, 0.9), after: median(after) },
        }),
      );
      // Speech peaks are far above the silence around them (> 20 dB), and the page goes quiet again.
      expect(percentile(loud, 0.9)).toBeGreaterThan(10 * Math.max(median(quiet), 1e-4));
      expect(median(after.slice(Math.floor(after.length / 2)))).toBeLessThan(percentile(loud, 0.9) / 10);
      // …and the agent's side plays too.
      const agentLevels = await levelsWhile(
        page,
        'agent-',
        speak(standIn.source, tone({ frequency: 440, sampleRate: 48_000, durationMs: 1500, dbfs: -12 })),
      );
      expect(Math.max(...agentLevels)).toBeGreaterThan(0.05);
      await page.screenshot({ path: join(shots, 'call-live.png') });

      // End the call from the page.
      await page.getByRole('button', { name: 'End call' }).click();
      await call.ended;
      await page.getByTestId('outcome').getByText('operator_ended').waitFor();
      const final = await api.waitForCall(call.callSid, (c) => c.outcome !== null);
      expect(final.outcome).toBe('operator_ended');
      expect(final.operator_actions).toEqual([
        expect.objectContaining({ operator: 'alice', action: 'listen', result: 'ok' }),
        expect.objectContaining({ operator: 'alice', action: 'end', result: 'ok' }),
      ]);

      // The finished call's recording: the page's player loads and plays it with the session…
      const player = page.getByTestId('recording').locator('audio');
      await player.waitFor();
      await page.evaluate(PLAY_A_MOMENT);
      // …and decoded in the page, channel 1 is the caller's speech and channel 2 the agent's tone.
      const src = (await player.getAttribute('src'))!;
      const decoded = (await page.evaluate(`(${DECODE_RECORDING})(${JSON.stringify(src)})`)) as {
        rate: number;
        channels: number;
        caller: number[];
        agent: number[];
      };
      expect([decoded.rate, decoded.channels]).toEqual([8000, 2]);
      const callerSide = Int16Array.from(decoded.caller);
      const agentSide = Int16Array.from(decoded.agent);
      const callerSpan = loudSpan(callerSide)!;
      const agentSpan = loudSpan(agentSide)!;
      const callerMatch = trackedCorrelation(decimate(speech, 2), decimate(loudPart(callerSide), 2), 1000);
      const agentTone = toneProminence(agentSide.subarray(agentSpan.from, agentSpan.to), 440);
      console.log(
        JSON.stringify({ recording: { caller_speech_match: callerMatch.median, agent_tone: agentTone } }),
      );
      expect(callerMatch.median).toBeGreaterThan(0.75);
      expect(agentTone).toBeGreaterThan(100);
      // Not the other way round: each channel is quiet while the other side speaks.
      expect(rmsDbfs(agentSide, callerSpan.from, callerSpan.to)).toBeLessThan(-40);
      expect(rmsDbfs(callerSide, agentSpan.from, agentSpan.to)).toBeLessThan(-40);
      const listened = await api.waitForCall(call.callSid, (c) =>
        c.operator_actions.some((a: { action: string }) => a.action === 'recording'),
      );
      expect(listened.operator_actions.at(-1)).toMatchObject({
        operator: 'alice',
        action: 'recording',
        result: 'ok',
      });
      await page.screenshot({ path: join(shots, 'call-ended.png') });

      // Gone from the live list; found in the history by what was said.
      await page.getByRole('link', { name: 'Live calls' }).click();
      await page.getByText('No active calls.').waitFor();
      await page.getByRole('link', { name: 'History' }).click();
      await page.fill('input[name=text]', 'book an appointment');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator(`[data-testid=history] tr[data-sid="${call.callSid}"]`).waitFor();
      await page.screenshot({ path: join(shots, 'history.png') });
      await standIn.agent.disconnect();
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('takes a call over: the caller hears the operator microphone, not the agent, until hand-back', async () => {
    const measured = await takeOverAndHandBack({
      browser,
      tb,
      lk,
      from: '+15551230043',
      screenshot: 'takeover.png',
    });
    console.log(
      JSON.stringify({
        takeover_speech_match: measured.speechMatch,
        agent_tone_prominence: measured.agentToneProminence,
      }),
    );
  });

  it('places an outbound call from the form, and shows the refusal of a number off the allow-list', async () => {
    const page = await browser.newPage();
    try {
      await logIn(page, `${tb.publicUrl}/console/place`, { name: 'Place a call' });
      await page.fill('input[name=to]', '+15550000000');
      await page.fill('textarea[name=task]', 'Remind the patient of their appointment tomorrow.');
      await page.getByRole('button', { name: 'Call' }).click();
      await page.getByRole('alert').getByText('destination_not_allowed').waitFor();
      expect(rest.calls.size).toBe(0);

      await page.fill('input[name=to]', '+15554440001');
      await page.getByRole('button', { name: 'Call' }).click();
      await page.getByTestId('call-header').waitFor(); // the new call's page
      const sid = /\/calls\/(CA[0-9a-f]{32})$/.exec(new URL(page.url()).pathname)?.[1];
      expect(sid).toBeDefined();
      expect([...rest.calls.values()].map((c) => c.request.to)).toEqual(['+15554440001']); // Twilio was asked
      await page
        .getByTestId('call-header')
        .getByText('Remind the patient of their appointment tomorrow.')
        .waitFor();
      const record = await apiClient(tb.publicUrl).waitForCall(sid!, (c) => c.operator_actions.length > 0);
      expect(record.operator_actions[0]).toMatchObject({
        operator: 'alice',
        action: 'place_call',
        detail: { to: '+15554440001', task: 'Remind the patient of their appointment tomorrow.' },
      });
    } finally {
      await page.close();
    }
  });
});
