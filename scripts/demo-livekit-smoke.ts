// The LiveKit smoke demo: a real local livekit-server, one participant speaking into a room and
// another hearing it. Prints how well the heard audio matches and the one-way latency.
// `pnpm run ci:demo:livekit -- --help` prints the usage.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { bestCorrelation, decimate, speechPcm, writeWav } from '@callbridge/testkit/audio-fixtures';
import { commandLine } from '@callbridge/testkit/cli';
import {
  connectParticipant,
  measureLoopbackLatency,
  playPcm,
  recordRemoteAudio,
  startLiveKitServer,
} from '@callbridge/testkit/livekit';

const USAGE = `usage: pnpm run ci:demo:livekit

A real local livekit-server, one participant speaking into a room and another hearing it. Prints how
well the heard audio matches the spoken (correlation) and the one-way latency, saves what was heard
(.artifacts/smoke-heard.wav), and ends with one JSON line. Takes no options.`;

commandLine('demo:livekit', USAGE, {}, { dropLeadingDashDash: true });

const server = await startLiveKitServer();
try {
  console.error(`livekit-server ${server.url}`);
  const speech = speechPcm({
    text: 'Hello from the phone line. This is the callbridge smoke demo.',
    sampleRate: 48_000,
  });
  const caller = await connectParticipant(server, 'demo', 'caller');
  const listener = await connectParticipant(server, 'demo', 'listener');
  const source = await caller.publishMicrophone();
  const recording = await recordRemoteAudio(listener.room);
  await playPcm(source, new Int16Array(24_000), 48_000);
  await playPcm(source, speech, 48_000);
  await playPcm(source, new Int16Array(24_000), 48_000);
  recording.stop();
  await caller.disconnect();
  await listener.disconnect();

  const heard = recording.samples();
  const outDir = join(process.cwd(), '.artifacts');
  mkdirSync(outDir, { recursive: true });
  const heardWav = join(outDir, 'smoke-heard.wav');
  writeWav(heardWav, heard, 48_000);
  const match = bestCorrelation(decimate(speech, 6), decimate(heard, 6), 16_000);
  console.error(
    `heard ${(heard.length / 48).toFixed(0)} ms, correlation ${match.peak.toFixed(3)}; measuring latency…`,
  );
  const latency = await measureLoopbackLatency(server, { frames: 500 });
  console.log(JSON.stringify({ correlation: Number(match.peak.toFixed(3)), heard_wav: heardWav, latency }));
} finally {
  await server.stop();
  await dispose();
}
