import { speechPcm } from '../../testkit/src/audio-fixtures/index.js';
import { createDownlink, createResampler, muLawEncode, MuLawFramer } from '../src/index.js';
const sp = speechPcm({ text: 'Thanks for calling. How can I help you today? Please say your account number after the tone.', sampleRate: 48000 });
const n = Math.floor(sp.length / 960);
const frames = Array.from({ length: n }, (_, k) => sp.slice(k * 960, k * 960 + 960));
const R = createResampler({ inputRate: 48000, outputRate: 8000 });
const o8 = frames.map((f) => R.process(f).slice());
const mu = new Uint8Array(160); const fr = new MuLawFramer(); const D = createDownlink({ inputRate: 48000 });
const subjects: [string, (i: number) => void][] = [
  ['R', (i) => R.process(frames[i % n]!)],
  ['encode', (i) => muLawEncode(o8[i % n]!, mu)],
  ['framer', () => fr.push(mu)],
  ['downlink', (i) => D.push(frames[i % n]!, 48000)],
];
const res: Record<string, number[]> = {};
for (const [name, f] of subjects) { for (let i = 0; i < 20000; i++) f(i); res[name] = []; }
for (let r = 0; r < 15; r++) for (const [name, f] of subjects) { const N = 4000; const s = process.hrtime.bigint(); for (let i = 0; i < N; i++) f(i); res[name]!.push(Number(process.hrtime.bigint() - s) / 1000 / N); }
for (const [name, v] of Object.entries(res)) { v.sort((a, b) => a - b); console.log(name, v[7]!.toFixed(2), 'min', v[0]!.toFixed(2)); }
