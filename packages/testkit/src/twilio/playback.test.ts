import { describe, expect, it } from 'vitest';
import { PlaybackBuffer } from './_playback.js';

const bytes = (n: number, value = 0x10) => new Uint8Array(n).fill(value);
const frame = () => new Uint8Array(160);

describe('PlaybackBuffer (Twilio-side playback queue)', () => {
  it('plays queued audio in order, then silence (0xFF)', () => {
    const buffer = new PlaybackBuffer();
    buffer.enqueueAudio(bytes(100, 1));
    buffer.enqueueAudio(bytes(100, 2));
    const out = frame();
    expect(buffer.pullFrame(out)).toBe(160);
    expect(out.subarray(0, 100).every((b) => b === 1)).toBe(true);
    expect(out.subarray(100).every((b) => b === 2)).toBe(true);
    expect(buffer.pullFrame(out)).toBe(40);
    expect(out.subarray(40).every((b) => b === 0xff)).toBe(true);
    expect(buffer.pullFrame(out)).toBe(0);
    expect(buffer.bufferedBytes).toBe(0);
  });

  it('reports a mark at the frame boundary after the audio before it has played', () => {
    const buffer = new PlaybackBuffer();
    buffer.enqueueAudio(bytes(320)); // exactly two frames
    buffer.enqueueMark('m');
    const out = frame();
    expect(buffer.takeReachedMarks()).toEqual([]);
    buffer.pullFrame(out);
    expect(buffer.takeReachedMarks()).toEqual([]);
    buffer.pullFrame(out); // the last audio plays during this frame
    expect(buffer.takeReachedMarks()).toEqual(['m']); // …and the mark is reached when it ends
  });

  it('reports a mark passed mid-frame when that frame ends, not before', () => {
    const buffer = new PlaybackBuffer();
    buffer.enqueueAudio(bytes(80));
    buffer.enqueueMark('half');
    buffer.enqueueAudio(bytes(80, 2));
    const out = frame();
    expect(buffer.pullFrame(out)).toBe(160); // playback continues through the mark
    expect(out[159]).toBe(2);
    expect(buffer.takeReachedMarks()).toEqual(['half']);
  });

  it('reports a mark with no audio before it at the next boundary', () => {
    const buffer = new PlaybackBuffer();
    buffer.enqueueMark('now');
    expect(buffer.takeReachedMarks()).toEqual(['now']);
  });

  it('clear drops queued audio and returns every pending mark in order', () => {
    const buffer = new PlaybackBuffer();
    buffer.enqueueAudio(bytes(80));
    buffer.enqueueMark('a');
    buffer.enqueueAudio(bytes(800));
    buffer.enqueueMark('b');
    const out = frame();
    buffer.pullFrame(out); // passes 'a' mid-frame: reached but not yet reported
    expect(buffer.clear()).toEqual(['a', 'b']);
    expect(buffer.bufferedBytes).toBe(0);
    expect(buffer.pullFrame(out)).toBe(0);
    expect(buffer.takeReachedMarks()).toEqual([]);
  });

  it('keeps counting correctly across many small items (compaction)', () => {
    const buffer = new PlaybackBuffer();
    for (let i = 0; i < 1000; i++) buffer.enqueueAudio(bytes(16, i % 200));
    let played = 0;
    const out = frame();
    for (let i = 0; i < 100; i++) played += buffer.pullFrame(out);
    expect(played).toBe(16_000);
    expect(buffer.bufferedBytes).toBe(0);
  });
});
