// npm run bench:soak [-- --calls 1000 --agent echo|none]
// npm run bench:soak -- --help prints the options.
// Sequential short calls through the bridge process and a real livekit-server, each with an echo
// participant in the room standing in for the agent (so the bridge leaves rooms with someone still
// in them, as in production), looking for leaks: bridge RSS, threads and open file descriptors
// after the first 50 calls, after 200, and at the end, and whether every room was deleted.
// Last line: one JSON object. Exits 1 (saying why) when the bridge's threads or open file
// descriptors grew from call 50 to the end: each leaked capture source is a thread for good.
import { commandLine } from '@callbridge/testkit/cli';
import { EchoPool, startLiveKitServer } from '@callbridge/testkit/livekit';
import {
  countDelta,
  processHandles,
  processUsage,
  round,
  type ProcessHandles,
} from '@callbridge/testkit/stats';
import { TwilioSimulator } from '@callbridge/testkit/twilio';
import { RoomServiceClient } from 'livekit-server-sdk';
import WebSocket from 'ws';
import { startBridgeProcess } from './_bridge-process.js';

const USAGE = `usage: npm run bench:soak [-- --calls 1000 --agent echo|none]

Sequential short calls through the bridge (its own process) and a real livekit-server, looking for
leaks: the bridge's RSS, threads and open file descriptors after 50 calls, after 200 and at the end
(each after a forced full GC), and whether every room was deleted.

  --calls N           calls to place, at least 60 (default 1000)
  --agent echo|none   echo: an echo participant in each room stands in for the agent, so the bridge
                      leaves rooms with someone still in them; none: no stand-in (default echo)

SOAK_MALLOC_ARENA_MAX=n runs the bridge with that MALLOC_ARENA_MAX. Progress goes to stderr; the last
line is one JSON object; exits 1 (saying why) when the bridge's threads or open file descriptors grew
from call 50 to the end.`;

const values = commandLine('bench:soak', USAGE, {
  calls: { type: 'string', default: '1000' },
  agent: { type: 'string', default: 'echo' },
});
const total = Number(values.calls);
// After call 50 is the reference; a short run (a quick check of the report) has no 200 mark.
if (!Number.isInteger(total) || total < 60) {
  console.error(`--calls must be an integer >= 60 (got ${values.calls})`);
  process.exit(2);
}
if (values.agent !== 'echo' && values.agent !== 'none') {
  console.error(`--agent must be echo or none (got ${values.agent})`);
  process.exit(2);
}
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const AUTH_TOKEN = 'soak-auth-token';

const lk = await startLiveKitServer();
const rooms = new RoomServiceClient(lk.httpUrl, lk.apiKey, lk.apiSecret);
// The inspector lets the soak force a full garbage collection before each measurement, so what
// it compares is what the bridge keeps, not garbage V8 has not collected yet.
const bridgeProcess = await startBridgeProcess({
  lk,
  authToken: AUTH_TOKEN,
  // SOAK_MALLOC_ARENA_MAX=n runs the bridge with glibc's MALLOC_ARENA_MAX (native memory growth).
  env: process.env.SOAK_MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.SOAK_MALLOC_ARENA_MAX } : {},
  nodeArgs: ['--inspect=127.0.0.1:0'],
});
const bridge = bridgeProcess.app;
const publicUrl = bridgeProcess.publicUrl;
const health = bridgeProcess.health;
/** Forces a full GC in the bridge through its inspector (DevTools protocol over WebSocket). */
async function collectGarbage(): Promise<void> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(bridge.logs())?.[1];
  if (!url) throw new Error('bridge inspector URL not found in its output');
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    ws.onmessage = (ev) => {
      if ((JSON.parse(String(ev.data)) as { id?: number }).id === 1) resolve();
    };
    ws.onerror = () => reject(new Error('inspector connection failed'));
  });
  ws.close();
  await new Promise((r) => setTimeout(r, 500));
}
const echoes = values.agent === 'echo' ? await EchoPool.start(lk, 1) : undefined;
/** The bridge's V8 heap in use (from its own /metrics), to tell a JS leak from native growth. */
const heapMb = async () => {
  const text = await (await fetch(`${publicUrl}/metrics`)).text();
  const m = /^callbridge_bridge_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Number(m[1]) / 1024 / 1024 : Number.NaN;
};
const sim = new TwilioSimulator({ authToken: AUTH_TOKEN });
const tone = new Int16Array(8000 / 4).map((_, i) =>
  Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)),
);

process.on('uncaughtException', (err) => {
  console.error(`soak failed: ${err.message}\nbridge output:\n${bridge.logs().slice(-4000)}`);
  process.exit(1);
});
let failed = 0;
type Snapshot = { rssMb: number; heapMb: number; handles: ProcessHandles };
const sumCounts = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const snapshot = async (): Promise<Snapshot> => {
  // Past the 10 s keep-alive of the FFI runtime's idle worker threads, so a snapshot shows what the
  // bridge keeps, not the tail of the call that just ended.
  await new Promise((r) => setTimeout(r, 12_000));
  await collectGarbage();
  const handles = processHandles(bridge.pid);
  return { rssMb: processUsage(bridge.pid).rssMb, heapMb: await heapMb(), handles };
};
let after50: Snapshot | undefined;
let after200: Snapshot | undefined;
/** The echo processes' threads (the load generator leaks too if its rooms are not released). */
let echoThreadsAfter50: Record<string, number>[] = [];
const started = performance.now();
for (let i = 1; i <= total; i++) {
  const call = await sim.placeInboundCall({
    voiceUrl: `${publicUrl}/twilio/voice`,
    statusCallbackUrl: `${publicUrl}/twilio/status`,
    from: '+15550001111',
    to: '+15550002222',
    keepHeard: false,
  });
  if (call.streamRefused || !call.streamSid) failed++;
  else {
    await echoes?.join(`call-${call.callSid}`).catch(() => failed++);
    await call.sendAudio(tone).catch(() => failed++);
  }
  // The echo leaves first, as an agent that ends the call does. When the bridge takes a remaining
  // participant out instead, the server closes that participant's room, and rtc-node then keeps
  // its published track and capture thread natively (livekit/rust-sdks#1443): the load
  // generator, not the bridge, would pile them up.
  await echoes?.leaveAll();
  await call.hangup();
  for (let k = 0; k < 100 && (await health()).active_calls > 0; k++)
    await new Promise((r) => setTimeout(r, 20));
  if (i === 50 || i === 200) {
    const snap = await snapshot();
    if (i === 50) {
      after50 = snap;
      echoThreadsAfter50 = echoes ? echoes.pids.map((pid) => processHandles(pid).threads) : [];
    } else after200 = snap;
    log(
      `after ${i} calls: RSS ${round(snap.rssMb, 1)} MB, ${sumCounts(snap.handles.threads)} threads, ${sumCounts(snap.handles.fds)} open fds`,
    );
  }
  if (i % 100 === 0) log(`${i} calls, ${Math.round((performance.now() - started) / 1000)} s`);
}
const end = await snapshot();
const echoThreadsEnd = echoes ? echoes.pids.map((pid) => processHandles(pid).threads) : [];
const leftoverRooms = (await rooms.listRooms()).length;
await bridge.stop('SIGINT');
await echoes?.stop();
await lk.stop();
// A leak is growth: of any thread name, or any kind of file descriptor, from call 50 to the end.
const grew = (delta: Record<string, number>) =>
  Object.fromEntries(Object.entries(delta).filter(([, d]) => d > 0));
const threadsGrown = grew(countDelta(after50!.handles.threads, end.handles.threads));
const fdsGrown = grew(countDelta(after50!.handles.fds, end.handles.fds));
const pct = (from: number, to: number) => round(((to - from) / from) * 100, 1);
console.log(
  JSON.stringify({
    calls: total,
    agent: values.agent,
    failed,
    rss_mb_after_50: round(after50!.rssMb, 1),
    rss_mb_end: round(end.rssMb, 1),
    rss_growth_pct: pct(after50!.rssMb, end.rssMb),
    rss_mb_after_200: after200 ? round(after200.rssMb, 1) : null,
    rss_growth_after_200_pct: after200 ? pct(after200.rssMb, end.rssMb) : null,
    threads_after_50: sumCounts(after50!.handles.threads),
    threads_end: sumCounts(end.handles.threads),
    heap_mb_after_50: round(after50!.heapMb, 1),
    heap_mb_end: round(end.heapMb, 1),
    fds_after_50: sumCounts(after50!.handles.fds),
    fds_end: sumCounts(end.handles.fds),
    // What changed between call 50 and the end, by fd kind and thread name: names a leak if any.
    fds_change_by_kind: countDelta(after50!.handles.fds, end.handles.fds),
    threads_change_by_name: countDelta(after50!.handles.threads, end.handles.threads),
    // The same for each echo process (the load generator), reported, not judged.
    echo_threads_change_by_name: echoThreadsEnd.map((t, i) => countDelta(echoThreadsAfter50[i] ?? {}, t)),
    rooms_left: leftoverRooms,
    seconds: Math.round((performance.now() - started) / 1000),
  }),
);
if (Object.keys(threadsGrown).length > 0 || Object.keys(fdsGrown).length > 0) {
  console.error(
    `soak failed: the bridge grew from call 50 to call ${total}: threads ${JSON.stringify(threadsGrown)}, fds ${JSON.stringify(fdsGrown)}`,
  );
  process.exit(1);
}
process.exit(0);
