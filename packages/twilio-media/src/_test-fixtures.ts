/**
 * Wire examples from Twilio's Media Streams docs, with the docs' "XXXX" placeholders replaced by
 * hex SIDs (Twilio's SID pattern is prefix + 32 hex digits) and a real 20 ms μ-law payload.
 */
export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const CALL_SID = 'CAfedcba9876543210fedcba9876543210';
export const STREAM_SID = 'MZ00112233445566778899aabbccddeeff';

/** 160 bytes of μ-law silence (0xFF): one 20 ms frame. */
export const SILENCE_PAYLOAD = Buffer.alloc(160, 0xff).toString('base64');

export const wire = {
  connected: { event: 'connected', protocol: 'Call', version: '1.0.0' },
  start: {
    event: 'start',
    sequenceNumber: '1',
    start: {
      accountSid: ACCOUNT_SID,
      streamSid: STREAM_SID,
      callSid: CALL_SID,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: { FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' },
    },
    streamSid: STREAM_SID,
  },
  media: {
    event: 'media',
    sequenceNumber: '4',
    media: { track: 'inbound', chunk: '2', timestamp: '5', payload: SILENCE_PAYLOAD },
    streamSid: STREAM_SID,
  },
  dtmf: {
    event: 'dtmf',
    streamSid: STREAM_SID,
    sequenceNumber: '5',
    dtmf: { track: 'inbound_track', digit: '1' },
  },
  mark: { event: 'mark', sequenceNumber: '4', streamSid: STREAM_SID, mark: { name: 'my label' } },
  stop: {
    event: 'stop',
    sequenceNumber: '5',
    stop: { accountSid: ACCOUNT_SID, callSid: CALL_SID },
    streamSid: STREAM_SID,
  },
} as const;
