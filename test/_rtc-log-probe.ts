// Run by test/rtc-node-patch.test.ts as `node --import tsx`: one room with a published microphone
// that speaks for a second, counting the FFI events that carry the native side's log records to
// JavaScript (rtc-node decodes each and drops it). The environment decides the patch's
// LIVEKIT_FFI_CAPTURE_LOGS. Prints one JSON line.
import { createRequire } from 'node:module';
import { AudioFrame, dispose } from '@livekit/rtc-node';
import { connectParticipant, startLiveKitServer } from '@callbridge/testkit/livekit';

type FfiEventClass = {
  fromBinary(data: Uint8Array, opts?: unknown): { message: { case?: string; value?: unknown } };
};
// rtc-node's native bindings are its own dependency, so resolve them from where rtc-node lives.
const fromRtcNode = createRequire(createRequire(import.meta.url).resolve('@livekit/rtc-node'));
const bindings = fromRtcNode('@livekit/rtc-ffi-bindings') as { FfiEvent: FfiEventClass };
const decode = bindings.FfiEvent.fromBinary.bind(bindings.FfiEvent);
let events = 0;
let logEvents = 0;
let logRecords = 0;
// rtc-node reads `FfiEvent.fromBinary` off the bindings module at each event.
bindings.FfiEvent.fromBinary = (data, opts) => {
  const event = decode(data, opts);
  events++;
  if (event.message.case === 'logs') {
    logEvents++;
    logRecords += (event.message.value as { records: unknown[] }).records.length;
  }
  return event;
};

const lk = await startLiveKitServer();
const phone = await connectParticipant(lk, 'log-probe', 'phone');
const source = await phone.publishMicrophone({ sampleRate: 48000 });
const tone = new Int16Array(480).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000)));
for (let i = 0; i < 100; i++) await source.captureFrame(new AudioFrame(tone, 48000, 1, 480));
await phone.disconnect();
await source.close();
await lk.stop();
await dispose();
console.log(JSON.stringify({ ffi_events: events, log_events: logEvents, log_records: logRecords }));
process.exit(0);
