/**
 * Fakes for the media unit tests (used by `*.test.ts` beside this file only): a media socket, a
 * phone line made by a factory, and Twilio Media Streams messages.
 */
import { EventEmitter } from 'node:events';
import { muLawEncode, muLawToBase64 } from '@callbridge/audio';
import { MEDIA_FORMAT } from '@callbridge/twilio-media';
import type {
  PhoneLine,
  PhoneLineOptions,
  PhoneRpcCall,
  NewPhoneLine,
  LeaveOptions,
} from '../livekit/phone-line.js';
import type { MediaSocket } from './twilio-stream.js';

export const ACCOUNT_SID = 'AC' + 'a'.repeat(32);
export const STREAM_SID = 'MZ' + '1'.repeat(32);

/** A `ws` socket as the session sees it: `close()` reports 'close' a tick later, as ws does. */
export class FakeSocket extends EventEmitter implements MediaSocket {
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 1;
  readonly sent: Record<string, unknown>[] = [];
  closedWith?: { code?: number; reason?: string };

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= this.CLOSING) return;
    this.closedWith = { code, reason };
    this.readyState = this.CLOSED;
    queueMicrotask(() => this.emit('close'));
  }

  /** Twilio sends a text frame: ws 8 hands it over as a Buffer, `isBinary` false. */
  message(msg: unknown): void {
    this.emit('message', Buffer.from(typeof msg === 'string' ? msg : JSON.stringify(msg)), false);
  }

  /** The caller (or the network) drops the socket. */
  drop(): void {
    this.readyState = this.CLOSED;
    this.emit('close');
  }

  /** The Twilio messages of one event sent to us so far. */
  sentEvents(event: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.event === event);
  }
}

/** A phone line that records what the session does with it; the test plays the room's side. */
export class FakePhoneLine implements PhoneLine {
  readonly pushed: Int16Array[] = [];
  readonly dtmf: string[] = [];
  readonly attributeChanges: Record<string, string>[] = [];
  readonly rpc = new Map<string, (call: PhoneRpcCall) => Promise<string>>();
  readonly agents = new Set<string>();
  readonly unreachable = new Set<string>();
  droppedFrames = 0;
  joins = 0;
  leaves: LeaveOptions[] = [];
  private settleJoin!: (err?: Error) => void;
  private readonly joined = new Promise<void>((resolve, reject) => {
    this.settleJoin = (err) => (err ? reject(err) : resolve());
  });

  constructor(readonly opts: PhoneLineOptions) {}

  join(): Promise<void> {
    this.joins++;
    return this.joined;
  }

  /** The join finishes (or fails with `err`). */
  finishJoin(err?: Error): void {
    this.settleJoin(err);
  }

  pushCallerAudio(pcm: Int16Array): void {
    this.pushed.push(pcm);
  }

  agentCount(): number {
    return [...this.agents].filter((a) => !this.unreachable.has(a)).length;
  }

  unreachableAgents(): string[] {
    return [...this.unreachable];
  }

  registerRpc(method: string, handler: (call: PhoneRpcCall) => Promise<string>): void {
    this.rpc.set(method, handler);
  }

  async publishDtmf(digit: string): Promise<void> {
    this.dtmf.push(digit);
  }

  async setAttributes(attributes: Record<string, string>): Promise<void> {
    this.attributeChanges.push(attributes);
  }

  async leave(opts: LeaveOptions = {}): Promise<void> {
    this.leaves.push(opts);
  }

  /** An agent joins the room. */
  agentJoins(identity: string): void {
    this.agents.add(identity);
    this.opts.events.onAgentJoined(identity);
  }

  /** An agent leaves the room. */
  agentLeaves(identity: string): void {
    this.agents.delete(identity);
    this.unreachable.delete(identity);
    this.opts.events.onAgentLeft(identity);
  }

  /** Someone deletes the room through the server API. */
  roomDeleted(): void {
    this.opts.events.onRoomDeleted();
  }

  /** LiveKit loses an agent's connection; it stays in the room. */
  agentUnreachable(identity: string): void {
    this.unreachable.add(identity);
    this.opts.events.onAgentUnreachable(identity);
  }
}

/** A factory that keeps every phone line it made. */
export function fakePhoneLines(): { newPhoneLine: NewPhoneLine; made: FakePhoneLine[] } {
  const made: FakePhoneLine[] = [];
  return {
    made,
    newPhoneLine: (opts) => {
      const line = new FakePhoneLine(opts);
      made.push(line);
      return line;
    },
  };
}

export function startMessage(callSid: string, streamToken?: string, streamSid = STREAM_SID) {
  return {
    event: 'start',
    sequenceNumber: '1',
    streamSid,
    start: {
      streamSid,
      accountSid: ACCOUNT_SID,
      callSid,
      tracks: ['inbound'],
      customParameters: streamToken ? { streamToken } : {},
      mediaFormat: MEDIA_FORMAT,
    },
  };
}

/** 20 ms of a 440 Hz tone at 8 kHz, μ-law, base64 (one Twilio media frame). */
export function tonePayload(index: number, amplitude = 8000): string {
  const pcm = new Int16Array(160);
  for (let i = 0; i < 160; i++)
    pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * (index * 160 + i)) / 8000));
  return muLawToBase64(muLawEncode(pcm));
}

export function mediaMessage(chunk: number, payload = tonePayload(chunk), streamSid = STREAM_SID) {
  return {
    event: 'media',
    sequenceNumber: String(chunk + 1),
    streamSid,
    media: { track: 'inbound', chunk: String(chunk), timestamp: String(chunk * 20), payload },
  };
}

export function dtmfMessage(digit: string, streamSid = STREAM_SID) {
  return { event: 'dtmf', sequenceNumber: '2', streamSid, dtmf: { track: 'inbound_track', digit } };
}

export function markMessage(name: string, streamSid = STREAM_SID) {
  return { event: 'mark', sequenceNumber: '2', streamSid, mark: { name } };
}

export function stopMessage(callSid: string, streamSid = STREAM_SID) {
  return { event: 'stop', sequenceNumber: '3', streamSid, stop: { accountSid: ACCOUNT_SID, callSid } };
}
