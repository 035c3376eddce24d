/**
 * The simulator at the wire level, driven by a raw WebSocket client: handshake, session config,
 * server VAD on real speech, reply audio content, cancel and barge-in, items, tool calls, faults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestCorrelation, rmsDbfs, speechPcm } from '../audio-fixtures/index.js';
import { RawRealtimeClient } from './_test-client.js';
import { startRealtimeSimulator, type RealtimeSimulator } from './index.js';

const RATE = 24_000;
const silence = (ms: number) => new Int16Array((RATE * ms) / 1000);
const caller = speechPcm({ text: 'Hello, I would like to book an appointment please.', sampleRate: RATE });
const LONG_REPLY =
  'This is a deliberately long reply, so that there is plenty of time to interrupt it before it ends, one two three four five six.';

/** Where speech first reaches -40 dBFS (the level server_vad threshold 0.5 maps to), in ms. */
function firstVoicedMs(pcm: Int16Array): number {
  const win = RATE / 50;
  for (let i = 0; i + win <= pcm.length; i += win)
    if (rmsDbfs(pcm, i, i + win) >= -40) return (i / RATE) * 1000;
  throw new Error('fixture has no speech');
}

let sim: RealtimeSimulator;
let url: string;

beforeAll(async () => {
  sim = await startRealtimeSimulator({ firstOutputDelayMs: 50 });
  url = `${sim.baseUrl.replace('http', 'ws')}/realtime?model=gpt-realtime`;
});
afterAll(() => sim.stop());

async function connect(session: Record<string, unknown> = {}): Promise<RawRealtimeClient> {
  const client = await RawRealtimeClient.connect(url);
  await client.next('session.created');
  client.send({ type: 'session.update', session: { type: 'realtime', ...session } });
  await client.next('session.updated');
  return client;
}

describe('handshake', () => {
  it('refuses a missing key with 401 and a wrong path with 400, like the real API', async () => {
    expect(await RawRealtimeClient.refusal(url, {})).toBe(401);
    const wrongPath = url.replace('/v1/realtime', '/v2/other');
    expect(await RawRealtimeClient.refusal(wrongPath, { Authorization: 'Bearer k' })).toBe(400);
    expect(
      await RawRealtimeClient.refusal(url.replace('?model=gpt-realtime', ''), { Authorization: 'Bearer k' }),
    ).toBe(400);
  });

  it('announces the session with the model from the URL and applies session.update', async () => {
    const client = await RawRealtimeClient.connect(url);
    const created = await client.next('session.created');
    expect((created.session as { model: string }).model).toBe('gpt-realtime');
    client.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'Be brief.',
        audio: {
          input: { turn_detection: { type: 'server_vad', threshold: 0.7, silence_duration_ms: 400 } },
          output: { voice: 'ash' },
        },
      },
    });
    const updated = await client.next('session.updated');
    const session = updated.session as {
      instructions: string;
      audio: Record<string, Record<string, unknown>>;
    };
    expect(session.instructions).toBe('Be brief.');
    expect(session.audio.input?.turn_detection).toMatchObject({ threshold: 0.7, silence_duration_ms: 400 });
    expect(session.audio.output?.voice).toBe('ash');
    // Unchanged parts survive a partial update.
    expect(session.audio.input?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    client.close();
  });
});

describe('server VAD turn', () => {
  it('detects speech on the audio clock, commits it, transcribes honestly and answers with speech', async () => {
    sim.setScript({ turns: { 1: { say: 'Sure, what day would suit you?' } } });
    const client = await connect({
      audio: {
        input: {
          transcription: { model: 'gpt-4o-mini-transcribe' },
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
          },
        },
      },
    });
    const leadMs = 600;
    client.appendAudio(silence(leadMs));
    client.appendAudio(caller);
    client.appendAudio(silence(1000));

    const started = await client.next('input_audio_buffer.speech_started');
    const expectedStart = leadMs + firstVoicedMs(caller) - 300;
    expect(Math.abs(Number(started.audio_start_ms) - expectedStart)).toBeLessThanOrEqual(40);

    const stopped = await client.next('input_audio_buffer.speech_stopped');
    expect(stopped.item_id).toBe(started.item_id);
    const speechEndMs = leadMs + (caller.length / RATE) * 1000;
    expect(Number(stopped.audio_end_ms)).toBeGreaterThan(speechEndMs - 300);
    expect(Number(stopped.audio_end_ms)).toBeLessThanOrEqual(speechEndMs + 500 + 40);

    const committed = await client.next('input_audio_buffer.committed');
    expect(committed.item_id).toBe(started.item_id);
    const added = await client.next(
      'conversation.item.added',
      (e) => (e.item as { id: string }).id === started.item_id,
    );
    expect(added.item).toMatchObject({ type: 'message', role: 'user' });
    const transcript = await client.next('conversation.item.input_audio_transcription.completed');
    expect(transcript.transcript).toMatch(/^\[speech \d+\.\d s\]$/);

    const done = await client.next('response.done');
    const response = done.response as { id: string; status: string };
    expect(response.status).toBe('completed');
    const audio = client.audioOf(response.id);
    const record = sim.responses.find((r) => r.id === response.id);
    expect(record?.trigger).toBe('user_turn');
    expect(audio).toEqual(record?.audio);
    // The reply is real speech for the scripted text, in the session's voice.
    const reference = speechPcm({
      text: 'Sure, what day would suit you?',
      sampleRate: RATE,
      voice: 'en-us+f3',
      speed: 170,
    });
    expect(bestCorrelation(reference.subarray(0, RATE), audio, 100).peak).toBeGreaterThan(0.99);
    const words = client
      .all('response.output_audio_transcript.delta')
      .filter((e) => e.response_id === response.id)
      .map((e) => e.delta)
      .join('');
    expect(words).toBe('Sure, what day would suit you?');
    // The user's audio reached the "model" intact.
    const input = sim.sessions.at(-1)?.inputAudio();
    expect(input?.length).toBe(((leadMs + 1000) * RATE) / 1000 + caller.length);
    client.close();
  });

  it('streams reply audio paced in 100 ms chunks, not in one burst', async () => {
    sim.setScript({ greeting: { say: LONG_REPLY } });
    const client = await connect({ audio: { input: { turn_detection: null } } });
    client.send({ type: 'response.create' });
    const done = await client.next('response.done', () => true, 20_000);
    const id = (done.response as { id: string }).id;
    const record = sim.responses.find((r) => r.id === id);
    const audioMs = ((record?.audio.length ?? 0) / RATE) * 1000;
    // Chunked: one delta per 100 ms of audio, all of it, in order.
    const deltas = client.all('response.output_audio.delta').filter((e) => e.response_id === id);
    expect(deltas).toHaveLength(Math.ceil(audioMs / 100));
    expect(client.audioOf(id)).toEqual(record?.audio);
    // Paced at twice real time: the simulator waits half a chunk after each one, and a timer never
    // fires early, so streaming cannot take less than that, however fast the machine. (Its upper
    // side, "faster than real time", is not asserted: on a busy machine it measures the machine.)
    const streamedMs = (record?.doneAt ?? 0) - (record?.firstAudioAt ?? 0);
    expect(streamedMs).toBeGreaterThanOrEqual(((deltas.length - 1) * 100) / 2 - 5);
    client.close();
  });
});

describe('cancellation', () => {
  it('response.cancel ends the response as cancelled and stops the audio', async () => {
    sim.setScript({ greeting: { say: LONG_REPLY } });
    const client = await connect({ audio: { input: { turn_detection: null } } });
    client.send({ type: 'response.create', event_id: 'evt_greet' });
    const created = await client.next('response.created');
    const id = (created.response as { id: string }).id;
    await client.next('response.output_audio.delta');
    client.send({ type: 'response.cancel' });
    const done = await client.next('response.done');
    expect(done.response).toMatchObject({
      id,
      status: 'cancelled',
      status_details: { type: 'cancelled', reason: 'client_cancelled' },
    });
    const itemDone = await client.next('response.output_item.done');
    expect(itemDone.item).toMatchObject({ status: 'incomplete' });
    const deltasOf = (responseId: string) =>
      client.all('response.output_audio.delta').filter((e) => e.response_id === responseId);
    const deltasAtDone = deltasOf(id).length;
    const record = sim.responses.find((r) => r.id === id);
    expect(record?.sentSamples).toBeLessThan(record?.audio.length ?? 0);
    expect(client.audioOf(id).length).toBe(record?.sentSamples);

    client.send({ type: 'response.cancel', event_id: 'evt_again' });
    const err = await client.next('error');
    expect(err.error).toMatchObject({
      message: 'Cancellation failed: no active response found',
      event_id: 'evt_again',
    });
    // The audio stopped for good: a next response, started after the cancel, waits at least its
    // first-output delay (50 ms) and a chunk pause before it is done. Timers fire in deadline order,
    // so a cancelled stream still running (next chunk due within 50 ms of the last) would have sent
    // again before then.
    client.send({ type: 'response.create' });
    await client.next('response.done', (e) => (e.response as { id: string }).id !== id);
    expect(deltasOf(id)).toHaveLength(deltasAtDone);
    client.close();
  });

  it('caller speech during a response (barge-in) cancels it with reason turn_detected', async () => {
    sim.setScript({ greeting: { say: LONG_REPLY } });
    const client = await connect({
      audio: { input: { turn_detection: { type: 'server_vad', create_response: false } } },
    });
    client.send({ type: 'response.create' });
    await client.next('response.output_audio.delta');
    client.appendAudio(caller);
    const started = await client.next('input_audio_buffer.speech_started');
    const done = await client.next('response.done');
    expect(done.response).toMatchObject({ status: 'cancelled', status_details: { reason: 'turn_detected' } });
    const doneIndex = client.received.indexOf(done);
    expect(client.received.indexOf(started)).toBeLessThan(doneIndex);
    client.close();
  });
});

describe('conversation items and responses', () => {
  it('echoes client item ids, keeps order, and answers a user text item with the text', async () => {
    sim.setScript({});
    const client = await connect({ audio: { input: { turn_detection: null } } });
    client.send({
      type: 'conversation.item.create',
      event_id: 'evt_1',
      item: {
        id: 'item_dtmf',
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'DTMF 4 2 #' }],
      },
    });
    const added = await client.next('conversation.item.added');
    expect(added).toMatchObject({ previous_item_id: null, item: { id: 'item_dtmf', role: 'user' } });
    client.send({ type: 'response.create', response: { metadata: { client_event_id: 'evt_r1' } } });
    const created = await client.next('response.created');
    expect(created.response).toMatchObject({ metadata: { client_event_id: 'evt_r1' } });
    const done = await client.next('response.done');
    const record = sim.responses.find((r) => r.id === (done.response as { id: string }).id);
    expect(record).toMatchObject({ trigger: 'user_turn', turn: 1, text: 'You sent the text: DTMF 4 2 #' });
    const logged = sim.events.find(
      (e) =>
        e.direction === 'client' &&
        e.type === 'conversation.item.create' &&
        JSON.stringify(e.body).includes('4 2 #'),
    );
    expect(logged).toBeDefined();

    client.send({
      type: 'conversation.item.create',
      event_id: 'evt_bad',
      previous_item_id: 'item_missing',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] },
    });
    const err = await client.next('error');
    expect(err.error).toMatchObject({ code: 'previous_item_not_found', event_id: 'evt_bad' });
    client.close();
  });

  it('makes a scripted function call and reads the output back on the next response', async () => {
    sim.setScript({
      turns: { 1: { callTool: { name: 'lookup', arguments: { id: 'A1' } } } },
      afterToolOutput: (ctx) => ({ say: `The result is ${ctx.toolOutputs[0]?.output}` }),
    });
    const client = await connect({
      tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: {} } }],
      audio: { input: { turn_detection: null } },
    });
    client.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'look it up' }] },
    });
    client.send({ type: 'response.create' });
    const itemDone = await client.next('response.output_item.done');
    const call = itemDone.item as { type: string; name: string; arguments: string; call_id: string };
    expect(call).toMatchObject({ type: 'function_call', name: 'lookup', arguments: '{"id":"A1"}' });
    await client.next('response.done');
    client.send({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: call.call_id, output: 'open' },
    });
    client.send({ type: 'response.create' });
    const second = await client.next(
      'response.done',
      (e) =>
        (e.response as { output: unknown[] }).output.length > 0 &&
        (e.response as { output: Array<{ type: string }> }).output[0]?.type === 'message',
    );
    const record = sim.responses.find((r) => r.id === (second.response as { id: string }).id);
    expect(record).toMatchObject({ trigger: 'tool_output', text: 'The result is open' });
    client.close();
  });

  it('refuses a second response while one is active', async () => {
    sim.setScript({ greeting: { say: LONG_REPLY } });
    const client = await connect({ audio: { input: { turn_detection: null } } });
    client.send({ type: 'response.create' });
    await client.next('response.created');
    client.send({ type: 'response.create', event_id: 'evt_dup' });
    const err = await client.next('error');
    expect(err.error).toMatchObject({
      code: 'conversation_already_has_active_response',
      event_id: 'evt_dup',
    });
    client.close();
  });
});

describe('faults', () => {
  it('answers malformed and unknown events with an error event, and keeps the socket open', async () => {
    const client = await connect();
    client.send({ type: 'response.teleport', event_id: 'evt_x' });
    const unknown = await client.next('error');
    expect(unknown.error).toMatchObject({ type: 'invalid_request_error', event_id: 'evt_x' });
    client.send({ type: 'conversation.item.delete', event_id: 'evt_y' });
    const malformed = await client.next(
      'error',
      (e) => (e.error as { event_id: string }).event_id === 'evt_y',
    );
    expect(malformed.error).toMatchObject({ param: 'item_id' });
    client.send({ type: 'session.update', session: { instructions: 'still alive' } });
    await client.next(
      'session.updated',
      (e) => (e.session as { instructions: string }).instructions === 'still alive',
    );
    client.close();
  });

  it('injects scripted errors, failed responses and dropped connections', async () => {
    sim.setScript({
      greeting: { fault: { kind: 'error', message: 'rate limited', code: 'rate_limit_exceeded' } },
      prompted: (ctx) =>
        ctx.responseNumber === 2
          ? { fault: { kind: 'fail', message: 'server had an error' } }
          : { say: LONG_REPLY, fault: { kind: 'drop', when: 'mid_audio' } },
    });
    const client = await connect({ audio: { input: { turn_detection: null } } });
    client.send({ type: 'response.create', event_id: 'evt_a' });
    const err = await client.next('error');
    expect(err.error).toMatchObject({ code: 'rate_limit_exceeded', event_id: 'evt_a' });
    client.send({ type: 'response.create' });
    const failed = await client.next('response.done');
    expect(failed.response).toMatchObject({
      status: 'failed',
      status_details: { error: { message: 'server had an error' } },
    });
    client.send({ type: 'response.create' });
    await client.next('response.output_audio.delta');
    // Cut without a close frame: the client sees an abnormal closure.
    expect(await client.closed).toBe(1006);
  });
});
