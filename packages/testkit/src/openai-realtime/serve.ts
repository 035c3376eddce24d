/**
 * Runs the Realtime simulator on its own, for trying the agent without OpenAI:
 *
 *   node --import tsx packages/testkit/src/openai-realtime/serve.ts [--port 8090] [--host 127.0.0.1]
 *
 * then start the agent with OPENAI_BASE_URL=http://127.0.0.1:8090/v1 and any OPENAI_API_KEY.
 * It greets, answers each caller turn with "I heard N seconds of speech" and echoes typed or
 * keypad input; it logs one line per notable event. Ctrl+C stops it.
 */
import { parseArgs } from 'node:util';
import { startRealtimeSimulator } from './simulator.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8090' }, host: { type: 'string', default: '127.0.0.1' } },
});
const sim = await startRealtimeSimulator({ port: Number(values.port), host: values.host });
console.log(`realtime simulator listening: OPENAI_BASE_URL=${sim.baseUrl}`);

const NOTABLE = new Set([
  'connection.opened',
  'connection.closed',
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'conversation.item.create',
  'response.create',
  'response.cancel',
  'response.done',
]);
let seen = 0;
const timer = setInterval(() => {
  for (const e of sim.events.all.slice(seen)) {
    if (NOTABLE.has(e.type)) console.log(new Date(e.at).toISOString(), e.sessionId, e.direction, e.type);
  }
  seen = sim.events.all.length;
}, 250);

process.once('SIGINT', () => {
  clearInterval(timer);
  void sim.stop().then(() => process.exit(0));
});
