// The operator console in a phone-only deployment: livekit-server limited to G.711
// (`room.enabled_codecs: audio/pcmu`) and the bridge at PHONE_AUDIO_SAMPLE_RATE=8000, as
// .env.example sets them up. Chromium's libwebrtc refuses to send a codec over the track's bitrate
// cap, and PCMU takes 64 kbps, so this holds only because the console publishes the operator's
// microphone allowed that much, and only with livekit-client's two peer connections (its default
// single one fails its first offer against such a server: "Transceiver not found based on m-line
// index"). The operator takes a call over: the caller hears the operator's words (and not the
// agent), the operator's track is PCMU in the room, and the page plays the agent's PCMU audio.
import { startLiveKitServer, type LiveKitServer } from '@callbridge/testkit/livekit';
import { dispose } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, waitFor, type TestBridge } from '../../bridge/test/_harness.js';
import { API_KEY } from '../../bridge/test/_records-harness.js';
import { buildConsole, CONSOLE_ENV, launchOperatorBrowser, level, takeOverAndHandBack } from './_operator.js';

let lk: LiveKitServer;
let tb: TestBridge;
let browser: Browser;

beforeAll(async () => {
  await buildConsole();
  lk = await startLiveKitServer({ audioCodecs: ['audio/pcmu'] });
  tb = await startTestBridge(lk, { ...CONSOLE_ENV, API_KEY, PHONE_AUDIO_SAMPLE_RATE: '8000' });
  browser = await launchOperatorBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await tb?.close();
  await lk?.stop();
  await dispose();
});

describe('the operator console in G.711 rooms', () => {
  it('takes a call over: Chromium publishes the microphone as PCMU and the caller hears the operator', async () => {
    const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
    let operatorCodecs: string[] = [];
    let agentLevel = 0;
    const measured = await takeOverAndHandBack({
      ...{ browser, tb, lk, from: '+15551230044' },
      whileTakenOver: async (room, page) => {
        const operators = (await rooms.listParticipants(room)).filter((p) =>
          p.identity.startsWith('operator-'),
        );
        operatorCodecs = operators.flatMap((p) => p.tracks.map((t) => t.mimeType.toLowerCase()));
        // The page plays the agent too (it talks on in the room): Chromium decodes PCMU.
        await waitFor(
          'the agent audible in the page',
          async () => ((await level(page, 'agent-')) ?? 0) > 0.05,
        );
        agentLevel = (await level(page, 'agent-')) ?? 0;
      },
    });
    console.log(JSON.stringify({ g711_takeover: { ...measured, operatorCodecs, agentLevel } }));
    expect(operatorCodecs).toEqual(['audio/pcmu']);
  });
});
