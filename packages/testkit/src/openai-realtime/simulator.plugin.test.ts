/**
 * The simulator against the real client our agent uses: `openai.realtime.RealtimeModel` from
 * @livekit/agents-plugin-openai 1.9. If the plugin's expectations (ids, echoes, event order)
 * and the simulator disagree, these tests hang or fail here rather than in an end-to-end run.
 */
import { initializeLogger, llm } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bestCorrelation, speechPcm } from '../audio-fixtures/index.js';
import { startRealtimeSimulator, type RealtimeSimulator } from './index.js';

const RATE = 24_000;
const caller = speechPcm({ text: 'Hello, I would like to book an appointment please.', sampleRate: RATE });
const LONG_REPLY =
  'This reply goes on for a good while so that it can be interrupted, one two three four five six seven.';

let sim: RealtimeSimulator;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  sim = await startRealtimeSimulator({ firstOutputDelayMs: 50 });
});
afterAll(() => sim.stop());

function model(): openai.realtime.RealtimeModel {
  return new openai.realtime.RealtimeModel({
    baseURL: sim.baseUrl,
    apiKey: 'sk-simulated',
    model: 'gpt-realtime',
    voice: 'ash',
    turnDetection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    inputAudioTranscription: { model: 'gpt-4o-mini-transcribe' },
  });
}

function pushPcm(session: llm.RealtimeSession, pcm: Int16Array): void {
  const frame = RATE / 50;
  for (let i = 0; i + frame <= pcm.length; i += frame) {
    session.pushAudio(new AudioFrame(pcm.slice(i, i + frame), RATE, 1, frame));
  }
}

/** Collects one generation: every message's audio (concatenated) and text. */
async function collect(
  ev: llm.GenerationCreatedEvent,
): Promise<{ audio: Int16Array; text: string; calls: llm.FunctionCall[] }> {
  const parts: Int16Array[] = [];
  let text = '';
  const calls: llm.FunctionCall[] = [];
  const readCalls = (async () => {
    for await (const call of ev.functionStream) calls.push(call);
  })();
  for await (const message of ev.messageStream) {
    const readText = (async () => {
      for await (const t of message.textStream) text += typeof t === 'string' ? t : t.text;
    })();
    for await (const frame of message.audioStream) parts.push(frame.data.slice());
    await readText;
  }
  await readCalls;
  const audio = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    audio.set(p, offset);
    offset += p.length;
  }
  return { audio, text, calls };
}

function once<T>(session: llm.RealtimeSession, event: string): Promise<T> {
  return new Promise((resolve) => session.once(event as 'generation_created', resolve as never));
}

describe('openai.realtime.RealtimeModel against the simulator', () => {
  it('configures the session and gets a spoken greeting from generateReply', async () => {
    sim.setScript({ greeting: { say: 'Good morning, you are through to the clinic.' } });
    const m = model();
    const session = m.session();
    try {
      await session.updateInstructions('You are the clinic receptionist.');
      const ev = await session.generateReply('Greet the caller.');
      expect(ev.userInitiated).toBe(true);
      const { audio, text } = await collect(ev);
      const simSession = sim.sessions.at(-1);
      expect(simSession?.model).toBe('gpt-realtime');
      expect(simSession?.config.audio.output.voice).toBe('ash');
      expect(simSession?.config.audio.input.turn_detection).toMatchObject({
        type: 'server_vad',
        silence_duration_ms: 500,
      });
      const record = sim.responses.at(-1);
      expect(record?.trigger).toBe('greeting');
      expect(text).toBe('Good morning, you are through to the clinic.');
      expect(bestCorrelation(record!.audio, audio, 10).peak).toBeGreaterThan(0.999);
      // The plugin prepends the session instructions to the per-response ones.
      const create = sim.events.find((e) => e.sessionId === simSession?.id && e.type === 'response.create');
      expect(JSON.stringify(create?.body)).toContain('You are the clinic receptionist.\\nGreet the caller.');
    } finally {
      await session.close();
    }
  });

  it('turns caller speech into speech_started/stopped, a transcript and a server-created reply', async () => {
    sim.setScript({
      turns: { 1: { say: 'Which day would you like?' } },
      userTranscripts: { 1: 'I want an appointment' },
    });
    const session = model().session();
    try {
      const started = once(session, 'input_speech_started');
      const stopped = once(session, 'input_speech_stopped');
      const generation = once<llm.GenerationCreatedEvent>(session, 'generation_created');
      const transcripts: Array<{ transcript: string; isFinal: boolean }> = [];
      session.on('input_audio_transcription_completed', (ev) => transcripts.push(ev));
      pushPcm(session, new Int16Array(RATE / 2));
      pushPcm(session, caller);
      pushPcm(session, new Int16Array(RATE));
      await started;
      await stopped;
      const ev = await generation;
      expect(ev.userInitiated).toBe(false);
      const { audio, text } = await collect(ev);
      expect(text).toBe('Which day would you like?');
      const reference = sim.responses.at(-1)!.audio;
      expect(bestCorrelation(reference, audio, 10).peak).toBeGreaterThan(0.999);
      expect(transcripts.at(-1)).toMatchObject({ transcript: 'I want an appointment', isFinal: true });
      // The caller's audio reached the model sample-exact (the plugin only re-chunks it).
      const heard = sim.sessions.at(-1)!.inputAudio();
      expect(bestCorrelation(caller.subarray(0, RATE), heard, RATE).peak).toBeGreaterThan(0.999);
    } finally {
      await session.close();
    }
  });

  it('interrupt() cancels the response, and truncate() reaches the server', async () => {
    sim.setScript({ greeting: { say: LONG_REPLY } });
    const session = model().session();
    try {
      const ev = await session.generateReply();
      const reader = ev.messageStream.getReader();
      const { value: message } = await reader.read();
      const audioReader = message!.audioStream.getReader();
      await audioReader.read();
      await session.interrupt();
      // The audio stream ends once response.done (cancelled) arrives.
      while (!(await audioReader.read()).done);
      const record = sim.responses.at(-1)!;
      await sim.events.waitFor((e) => e.type === 'response.done' && e.sessionId === record.sessionId);
      expect(record.status).toBe('cancelled');
      expect(record.cancelReason).toBe('client_cancelled');
      await session.truncate({ messageId: message!.messageId, audioEndMs: 400, modalities: ['audio'] });
      const truncated = await sim.events.waitFor(
        (e) => e.type === 'conversation.item.truncated' && e.sessionId === record.sessionId,
      );
      expect(truncated.body).toMatchObject({ item_id: message!.messageId, audio_end_ms: 400 });
    } finally {
      await session.close();
    }
  });

  it('delivers a scripted function call to the plugin and accepts the output item it sends back', async () => {
    sim.setScript({
      turns: { 1: { callTool: { name: 'check_eligibility', arguments: { member_id: 'MB123456' } } } },
      afterToolOutput: (ctx) => ({ say: `Result: ${ctx.toolOutputs[0]?.output}` }),
    });
    const session = model().session();
    try {
      const check = llm.tool({
        description: 'Checks eligibility',
        parameters: z.object({ member_id: z.string() }),
        execute: async () => 'eligible',
      });
      await session.updateTools(new llm.ToolContext({ check_eligibility: check }));
      const chat = session.chatCtx.copy();
      chat.addMessage({ role: 'user', content: 'Is member MB123456 covered?' });
      await session.updateChatCtx(chat);
      const ev = await session.generateReply();
      const { calls } = await collect(ev);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ name: 'check_eligibility', args: '{"member_id":"MB123456"}' });
      const withOutput = session.chatCtx.copy();
      withOutput.items.push(
        llm.FunctionCallOutput.create({
          callId: calls[0]!.callId,
          name: 'check_eligibility',
          output: 'eligible',
          isError: false,
        }),
      );
      await session.updateChatCtx(withOutput);
      const reply = await collect(await session.generateReply());
      expect(reply.text).toBe('Result: eligible');
    } finally {
      await session.close();
    }
  });

  it('reconnects after a dropped connection and restores the session on a new one', async () => {
    sim.setScript({});
    const session = model().session();
    try {
      await session.updateInstructions('Restore me.');
      await (
        await session.generateReply().then(collect)
      ).audio;
      const first = sim.sessions.at(-1)!;
      const reconnected = once(session, 'session_reconnected');
      sim.dropConnections();
      await reconnected;
      const second = sim.sessions.at(-1)!;
      expect(second.id).not.toBe(first.id);
      await sim.events.waitFor((e) => e.sessionId === second.id && e.type === 'session.updated');
      expect(second.config.instructions).toBe('Restore me.');
    } finally {
      await session.close();
    }
  });
});
