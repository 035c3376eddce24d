// The operator's side of the console's end-to-end tests: the console built from this checkout, a
// headless Chromium whose fake microphone speaks a WAV, the login, and the take-over of a call.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decimate, segmentedCorrelation, speechPcm, writeWav } from '@callbridge/testkit/audio-fixtures';
import type { LiveKitServer } from '@callbridge/testkit/livekit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { expect } from 'vitest';
import { waitFor, type TestBridge } from '../../bridge/test/_harness.js';
import { apiClient } from '../../bridge/test/_records-harness.js';
import { joinStandIn } from '../../bridge/test/_stand-in.js';
import { keepPlaying, lastHeard, toneProminence } from '../../bridge/test/_tones.js';

const consoleRoot = join(import.meta.dirname, '..');
/** Where the console is built to (the bridge's CONSOLE_DIR). */
export const CONSOLE_DIST = join(consoleRoot, 'dist');
/** Screenshots and the operator's microphone WAV. */
export const SHOTS = join(consoleRoot, '..', '..', '.artifacts', 'console');
export const OPERATOR = 'alice';
export const PASSWORD = 'correct horse battery staple';
/** The bridge settings that put the console on, with the operator above. */
export const CONSOLE_ENV = { CONSOLE_USERS: `${OPERATOR}:${PASSWORD}`, CONSOLE_DIR: CONSOLE_DIST };
/** What the operator says into Chromium's fake microphone (looped by Chromium). */
export const OPERATOR_SPEECH = speechPcm({
  text: 'Hello, this is Dana from the front desk. I can help you.',
  sampleRate: 16_000,
});

/** The console under test is the source in this checkout, built now. */
export async function buildConsole(): Promise<void> {
  await build({ root: consoleRoot, logLevel: 'warn' });
  mkdirSync(SHOTS, { recursive: true });
}

/** Debian's Chromium, autoplaying, its microphone the operator's speech without a prompt. */
export async function launchOperatorBrowser(): Promise<Browser> {
  const micWav = join(SHOTS, 'operator-mic.wav');
  writeWav(micWav, OPERATOR_SPEECH, 16_000);
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${micWav}`,
    ],
  });
}

/** The WebAudio level (RMS 0..1) the page hears from participants whose identity starts with `prefix`. */
export async function level(page: Page, prefix: string): Promise<number | undefined> {
  const meter = page.locator(`[data-testid=level][data-identity^="${prefix}"]`);
  if ((await meter.count()) === 0) return undefined;
  return Number(await meter.first().getAttribute('data-rms'));
}

/** Logs in on the page at `url` (the login form shows there) and waits for `landing`. */
export async function logIn(page: Page, url: string, landing: { name: string | RegExp }): Promise<void> {
  await page.goto(url);
  await page.fill('input[name=name]', OPERATOR);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.getByRole('heading', landing).waitFor();
}

/**
 * The operator takes a call over from an agent that talks on and on (a 440 Hz tone): the caller
 * hears the operator's words and not the agent until the operator hands back, and the record
 * holds the action. `whileTakenOver` looks at the room meanwhile. Returns what was measured.
 */
export async function takeOverAndHandBack(opts: {
  browser: Browser;
  tb: TestBridge;
  lk: LiveKitServer;
  from: string;
  screenshot?: string;
  whileTakenOver?: (room: string, page: Page) => Promise<void>;
}): Promise<{ speechMatch: number; agentToneProminence: number }> {
  const { browser, tb, lk } = opts;
  // The operator allowed the console to use the microphone.
  const context = await browser.newContext();
  await context.grantPermissions(['microphone']);
  const page = await context.newPage();
  const pageLog: string[] = [];
  page.on('console', (m) => pageLog.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => pageLog.push(`error: ${err.message}`));
  const stops: (() => Promise<void>)[] = [];
  try {
    await logIn(page, `${tb.publicUrl}/console/`, { name: /Live calls/ });
    const call = await tb.placeCall({ from: opts.from });
    const standIn = await joinStandIn(lk, call.callSid);
    await standIn.setState('speaking');
    stops.push(keepPlaying(standIn.source, 440)); // the agent talks on and on
    // A steady tone stands out of its neighbourhood by orders of magnitude; speech does not.
    const hearsAgent = () => {
      const last = lastHeard(call, 500);
      return last !== undefined && toneProminence(last, 440) > 100;
    };
    await waitFor('the caller hears the agent', hearsAgent);

    await page.locator(`tr[data-sid="${call.callSid}"]`).click();
    await page.getByRole('button', { name: 'Take over' }).click();
    await page
      .locator('[data-testid=listen][data-state=on][data-mode=takeover]')
      .waitFor()
      .catch(async (err: Error) => {
        const state = await page
          .locator('[data-testid=listen]')
          .first()
          .evaluate((el) => el.outerHTML);
        throw new Error(
          `the take-over did not come on: ${err.message}\n${state}\npage log:\n${pageLog.join('\n')}`,
        );
      });
    const from = call.heardPcm().length;
    const seconds = OPERATOR_SPEECH.length / 16_000 + 1;
    await waitFor(
      'the operator speaking to the caller',
      () => call.heardPcm().length >= from + seconds * 8000,
      {
        timeoutMs: (seconds + 10) * 1000,
      },
    );
    const heard = call.heardPcm().subarray(from, from + seconds * 8000);
    // The operator's words reach the caller (the WAV loops, so each segment is found somewhere)…
    const match = segmentedCorrelation(decimate(OPERATOR_SPEECH, 2), heard, 2000);
    expect(match.peaks.length).toBeGreaterThan(5);
    expect(match.median).toBeGreaterThan(0.5);
    // …and the agent's voice does not, though it keeps talking in the room (its tone would stand
    // out of the speech around it by orders of magnitude).
    const prominence = toneProminence(heard.subarray(8000), 440);
    expect(prominence).toBeLessThan(10);
    await opts.whileTakenOver?.(`call-${call.callSid}`, page);
    if (opts.screenshot) await page.screenshot({ path: join(SHOTS, opts.screenshot) });

    await page.getByRole('button', { name: 'Hand back' }).click();
    await waitFor('the caller hears the agent again', hearsAgent);
    const record = await apiClient(tb.publicUrl).waitForCall(
      call.callSid,
      (c) => c.operator_actions.length > 0,
    );
    expect(record.operator_actions[0]).toMatchObject({
      operator: OPERATOR,
      action: 'takeover',
      result: 'ok',
    });
    for (const stop of stops.splice(0)) await stop();
    await call.hangup();
    await standIn.agent.disconnect();
    return { speechMatch: match.median, agentToneProminence: prominence };
  } finally {
    for (const stop of stops) await stop();
    await context.close();
  }
}
