// npm run bench:livekit [-- --frames N]
// One-way audio latency through a real local livekit-server, the baseline for every later figure.
import { parseArgs } from 'node:util';
import { dispose } from '@livekit/rtc-node';
import { measureLoopbackLatency, startLiveKitServer } from '../src/livekit/index.js';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '1000' } } });
const frames = Number(values.frames);
if (!Number.isInteger(frames) || frames < 500) {
  console.error(`--frames must be an integer >= 500 (got ${values.frames})`);
  process.exit(2);
}

const server = await startLiveKitServer();
try {
  console.error(`livekit-server on ${server.url}; sending ${frames} frames (${(frames * 20) / 1000} s)…`);
  const result = await measureLoopbackLatency(server, { frames });
  console.log(JSON.stringify(result));
} finally {
  await server.stop();
  await dispose();
}
