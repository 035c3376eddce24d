import { describe, expect, it } from 'vitest';
import { originRewriter, parseCallArgs } from './_call-args.js';

const base = ['--bridge', 'https://bridge.example.com/', '--wav', 'in.wav', '--out', 'heard.wav'];

describe('parseCallArgs', () => {
  it('applies defaults and takes the auth token from the environment', () => {
    expect(parseCallArgs(base, { TWILIO_AUTH_TOKEN: 'tok' })).toEqual({
      bridge: 'https://bridge.example.com',
      wav: 'in.wav',
      out: 'heard.wav',
      authToken: 'tok',
      from: '+15005550006',
      to: '+15005550001',
      seconds: 5,
    });
  });

  it('names every bad flag', () => {
    const attempt = () =>
      parseCallArgs(
        [...base, '--from', '555', '--seconds', 'soon', '--dtmf', '12x', '--bridge', 'ftp://x'],
        {},
      );
    expect(attempt).toThrow(/--from: expected an E\.164 number/);
    expect(attempt).toThrow(/--seconds:/);
    expect(attempt).toThrow(/--dtmf: expected DTMF keys/);
    expect(attempt).toThrow(/--auth-token: pass --auth-token or set TWILIO_AUTH_TOKEN/);
    expect(attempt).toThrow(/--bridge: expected an http/);
  });

  it('asks for the usage on --help or -h, before checking anything else', () => {
    expect(parseCallArgs(['--help'], {})).toBe('help');
    expect(parseCallArgs([...base, '-h', '--seconds', 'soon'], {})).toBe('help');
  });

  it('refuses unknown flags', () => {
    expect(() => parseCallArgs([...base, '--nope', 'x'], { TWILIO_AUTH_TOKEN: 't' })).toThrow(/nope/);
  });
});

describe('originRewriter', () => {
  const rewrite = originRewriter('https://bridge.example.com', 'http://127.0.0.1:8080');

  it('maps the public origin to the local one, keeping WebSocket vs HTTP', () => {
    expect(rewrite('https://bridge.example.com/twilio/voice')).toBe('http://127.0.0.1:8080/twilio/voice');
    expect(rewrite('wss://bridge.example.com/twilio/media')).toBe('ws://127.0.0.1:8080/twilio/media');
  });

  it('leaves other hosts alone, and everything when no local URL is given', () => {
    expect(rewrite('https://elsewhere.example.com/x')).toBe('https://elsewhere.example.com/x');
    expect(originRewriter('https://bridge.example.com', undefined)('wss://bridge.example.com/m')).toBe(
      'wss://bridge.example.com/m',
    );
  });
});
