// npm run bench:livekit [-- --frames N]
// npm run bench:livekit -- --help prints the options.
// One-way audio latency through a real local livekit-server, the baseline for every later figure.
import { dispose } from '@livekit/rtc-node';
import { LOOPBACK_ROUNDS, measureLoopbackLatency, startLiveKitServer } from '../src/livekit/index.js';
import { commandLine } from '../src/cli/command-line.js';

const USAGE = `usage: npm run bench:livekit [-- --frames 1000]

One-way audio latency through a real local livekit-server: one rtc-node participant publishes 20 ms
frames with a tone-burst marker every 200 ms, another subscribes; latency is marker to detection.
A track's delay is drawn when it starts and then hardly moves, so the frames are shared by 8
tracks one after another, each between new participants; the percentiles are over all bursts.

  --frames N   20 ms frames to send in all, at least 500 (default 1000, 20 s)

Prints progress to stderr and one JSON line last, e.g.
{"frames":1000,"tracks":8,"markers":…,"p50_ms":…,"p95_ms":…,"p99_ms":…,"track_p50_ms":[…],"cpu_pct":…}`;

const values = commandLine('bench:livekit', USAGE, { frames: { type: 'string', default: '1000' } });
const frames = Number(values.frames);
if (!Number.isInteger(frames) || frames < 500) {
  console.error(`--frames must be an integer >= 500 (got ${values.frames})`);
  process.exit(2);
}

const server = await startLiveKitServer();
try {
  console.error(
    `livekit-server on ${server.url}; sending ${frames} frames (${(frames * 20) / 1000} s) over ${LOOPBACK_ROUNDS} tracks…`,
  );
  const result = await measureLoopbackLatency(server, { frames });
  console.log(JSON.stringify(result));
} finally {
  await server.stop();
  await dispose();
}
