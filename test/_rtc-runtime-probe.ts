// Run by test/rtc-node-patch.test.ts as `node --expose-gc --import tsx`: six sequential rooms with a
// full garbage collection between them (the moment no room is alive), counting the distinct WebRTC
// runtimes the process built (one `network_thread` each) and the ones still alive at the end.
// `--release` disposes every room's native handle after it leaves, as the GC finalizer would without
// the patch's pin: the control that shows what the pin prevents. Prints one JSON line.
import { readdirSync, readFileSync } from 'node:fs';
import { dispose } from '@livekit/rtc-node';
import { connectParticipant, startLiveKitServer } from '@callbridge/testkit/livekit';

const release = process.argv.includes('--release');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const networkThreads = (): string[] =>
  readdirSync('/proc/self/task').filter((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').startsWith('network_thread');
    } catch {
      return false; // the thread ended between the listing and the look
    }
  });

const lk = await startLiveKitServer();
const seen = new Set<string>();
/** One call's room; everything it made is garbage once this returns (the pin aside). */
async function oneRoom(i: number): Promise<void> {
  const phone = await connectParticipant(lk, `probe-${i}`, 'phone');
  registry.register(phone.room, i);
  const source = await phone.publishMicrophone({ sampleRate: 48000 });
  for (const tid of networkThreads()) seen.add(tid);
  await phone.disconnect();
  await source.close();
  if (release) (phone.room as unknown as { ffiHandle: { dispose(): void } }).ffiHandle.dispose();
}
let collected = 0;
const registry = new FinalizationRegistry(() => collected++);
for (let i = 0; i < 6; i++) {
  await oneRoom(i);
  // A full GC until the room just left is collected (this registry saw it go), then two more
  // turns of the event loop, in which Node runs the native handles' finalizers.
  while (collected < i + 1) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let k = 0; k < 2; k++) await new Promise((resolve) => setImmediate(resolve));
}
const alive = networkThreads().length;
await lk.stop();
await dispose();
console.log(JSON.stringify({ runtimes_built: seen.size, runtimes_alive: alive }));
process.exit(0);
