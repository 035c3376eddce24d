// npm run bench:clear [-- --calls 10]
// How fast a cut-off agent goes quiet at the caller: over N sequential calls through the bridge
// (its own process) and a real livekit-server, a stand-in agent speaks, is cut off mid-word once
// the caller has heard half a second (its lk.agent.state leaves `speaking`, its audio stops), and
// the time from that moment to the `clear` arriving at the simulated caller is measured. The tests
// only assert that the clear happens and nothing plays after it; the number lives here.
// Last line: one JSON object.
import { dispose } from '@livekit/rtc-node';
import { tone } from '@callbridge/testkit/audio-fixtures';
import { commandLine } from '@callbridge/testkit/cli';
import { startLiveKitServer } from '@callbridge/testkit/livekit';
import { percentile, round } from '@callbridge/testkit/stats';
import { TwilioSimulator, type SimulatedCall } from '@callbridge/testkit/twilio';
import { waitFor } from '@callbridge/testkit/wait';
import { joinStandIn, speakUntilCut } from '../test/_stand-in.js';
import { startBridgeProcess } from './_bridge-process.js';

const USAGE = `usage: npm run bench:clear [-- --calls N]

Measures, over N calls (default 10), the time from the agent being cut off mid-utterance to the
clear reaching the caller. Prints progress to stderr and one JSON line last, e.g.
{"calls":10,"clear_ms_p50":…,"clear_ms_p95":…,"clear_ms_max":…}`;

const values = commandLine(
  'bench:clear',
  USAGE,
  { calls: { type: 'string', default: '10' } },
  { dropLeadingDashDash: true },
);
const calls = Number(values.calls);
if (!Number.isInteger(calls) || calls < 1) {
  console.error(`bench:clear: --calls must be a positive integer (got ${values.calls})\n\n${USAGE}`);
  process.exit(2);
}
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const AUTH_TOKEN = 'bench-clear-auth-token';
/** The caller hears this much of the answer before the agent is cut off (8 kHz samples). */
const HEARD_BEFORE_CUT = 4000;

const lk = await startLiveKitServer();
const bridge = await startBridgeProcess({ lk, authToken: AUTH_TOKEN });
const sim = new TwilioSimulator({ authToken: AUTH_TOKEN });
// Loud throughout, so every cut is mid-word.
const answer = tone({ frequency: 440, sampleRate: 48_000, durationMs: 20_000, dbfs: -12 });
/** The caller's barge-in: a second of loud audio, sent once the caller has heard the answer begin. */
const bargeIn = tone({ frequency: 300, sampleRate: 8000, durationMs: 1000, dbfs: -12 });

/** Samples the caller has heard since its first audio onset. */
function heardSinceOnset(call: SimulatedCall): number {
  const onset = call.audioOnsets[0];
  if (onset === undefined) return 0;
  return call.heardPcm().length - Math.floor(((onset - call.heardStartedAtMs) / 1000) * 8000);
}

const clearMs: number[] = [];
try {
  for (let i = 1; i <= calls; i++) {
    const call = await sim.placeInboundCall({
      voiceUrl: `${bridge.publicUrl}/twilio/voice`,
      statusCallbackUrl: `${bridge.publicUrl}/twilio/status`,
      from: '+15550001111',
      to: '+15550002222',
    });
    const standIn = await joinStandIn(lk, call.callSid);
    try {
      // The caller speaks over the agent (a barge-in: the bridge clears only then), and the agent is
      // cut off once that speech went out.
      let spoke = false;
      const stoppedAt = await speakUntilCut(
        standIn,
        answer,
        () => {
          if (heardSinceOnset(call) < HEARD_BEFORE_CUT) return false;
          if (!spoke) void call.sendAudio(bargeIn);
          spoke = true;
          return call.sentOnsets.length > 0;
        },
        () => call.clears.length > 0,
      );
      const clearAt = await waitFor('a clear at the caller', () => call.clears[0]);
      clearMs.push(clearAt - stoppedAt);
      log(`call ${i}/${calls}: clear ${round(clearAt - stoppedAt, 1)} ms after the cut`);
    } finally {
      await standIn.agent.disconnect();
      await call.hangup();
    }
    await waitFor('the call released', async () => (await bridge.health()).active_calls === 0);
  }
} finally {
  await bridge.app.stop('SIGINT');
  await lk.stop();
  await dispose();
}
console.log(
  JSON.stringify({
    calls,
    clear_ms_p50: round(percentile(clearMs, 50), 1),
    clear_ms_p95: round(percentile(clearMs, 95), 1),
    clear_ms_max: round(Math.max(...clearMs), 1),
  }),
);
process.exit(0);
