// Hostile Media Streams messages for the fuzz tests: valid shapes, then a field broken or the text
// damaged. What the bridge must do with each one is modelled apart, in _fuzz-model.ts.
import { MEDIA_FORMAT } from '@callbridge/twilio-media';
import fc from 'fast-check';

export interface RawMessage {
  data: string | Buffer;
  binary: boolean;
}

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
export const sidArb = (prefix: string) => hex(32).map((h) => prefix + h);

/** Base64 of μ-law bytes: a 20 ms frame usually, sometimes odd sizes up to a few KB. */
const payloadArb = fc
  .oneof(
    { weight: 4, arbitrary: fc.uint8Array({ minLength: 160, maxLength: 160 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 4000 }) },
  )
  .map((b) => Buffer.from(b).toString('base64'));

/** Strings an attacker would try: unicode of every plane, control characters, lookalikes. */
const nastyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '💥',
    'inbound\u200b',
    'CA' + '0'.repeat(31),
    '-1',
    '1e309',
    'NaN',
  ),
);

/** Any JSON value, nested a little: what "nested garbage" looks like. */
const garbageValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  nastyString,
  fc.integer(),
  fc.double(),
  fc.constant(null),
);

/** Messages as Twilio would send them on this stream, before any mutation. */
function validShapes(ctx: { streamSid: string; callSid: string; accountSid: string }, mediaWeight: number) {
  const seq = fc.nat({ max: 100_000 }).map(String);
  const media = fc.record({
    event: fc.constant('media'),
    sequenceNumber: seq,
    streamSid: fc.constant(ctx.streamSid),
    media: fc.record({
      track: fc.constantFrom('inbound', 'inbound', 'inbound', 'outbound'),
      chunk: seq,
      timestamp: seq,
      payload: payloadArb,
    }),
  });
  const mark = fc.record({
    event: fc.constant('mark'),
    sequenceNumber: seq,
    streamSid: fc.constant(ctx.streamSid),
    mark: fc.record({ name: nastyString }),
  });
  const dtmf = fc.record({
    event: fc.constant('dtmf'),
    sequenceNumber: seq,
    streamSid: fc.constant(ctx.streamSid),
    dtmf: fc.record({ track: fc.constant('inbound_track'), digit: fc.constantFrom(...'0123456789*#ABCD') }),
  });
  const connected = fc.constant({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  const stop = seq.map((s) => ({
    event: 'stop',
    sequenceNumber: s,
    streamSid: ctx.streamSid,
    stop: { accountSid: ctx.accountSid, callSid: ctx.callSid },
  }));
  const start = fc
    .record({ token: fc.oneof(nastyString, fc.constant('v1.' + ctx.callSid + '.1.x.y')) })
    .map((t) => ({
      event: 'start',
      sequenceNumber: '1',
      streamSid: ctx.streamSid,
      start: {
        streamSid: ctx.streamSid,
        accountSid: ctx.accountSid,
        callSid: ctx.callSid,
        tracks: ['inbound'],
        customParameters: { callSid: ctx.callSid, streamToken: t.token },
        mediaFormat: { ...MEDIA_FORMAT },
      },
    }));
  return fc.oneof(
    { weight: mediaWeight, arbitrary: media },
    { weight: 3, arbitrary: mark },
    { weight: 1, arbitrary: dtmf },
    { weight: 1, arbitrary: connected },
    { weight: 1, arbitrary: stop },
    { weight: 1, arbitrary: start },
  );
}

type Json = Record<string, unknown>;

/** Paths of every field in a message, to pick one to break. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const out: string[][] = prefix.length > 0 ? [prefix] : [];
  for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setPath(obj: Json, path: string[], value: unknown, remove = false): Json {
  const copy = structuredClone(obj);
  let node: Json = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return copy;
    node = next as Json;
  }
  const last = path[path.length - 1];
  if (last === undefined) return copy;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

/** One field changed: wrong type (numbers for numeric strings), removed, garbage, another sid. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('number' as const), pick: fc.nat(), n: fc.oneof(fc.integer(), fc.double()) }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('garbage' as const), pick: fc.nat(), v: garbageValue }),
  fc.record({ kind: fc.constant('otherSid' as const), sid: sidArb('MZ') }),
  fc.record({ kind: fc.constant('badBase64' as const), p: nastyString }),
  fc.record({ kind: fc.constant('extraField' as const), k: nastyString, v: garbageValue }),
);

function applyMutation(msg: Json, m: typeof mutation extends fc.Arbitrary<infer T> ? T : never): Json {
  const all = paths(msg);
  const at = (pick: number) => all[pick % all.length] ?? ['event'];
  switch (m.kind) {
    case 'number': {
      const path = at(m.pick);
      const current = path.reduce<unknown>((o, k) => (o as Json | undefined)?.[k], msg);
      return setPath(msg, path, typeof current === 'string' && /^\d+$/.test(current) ? Number(current) : m.n);
    }
    case 'remove':
      return setPath(msg, at(m.pick), undefined, true);
    case 'garbage':
      return setPath(msg, at(m.pick), m.v);
    case 'otherSid':
      return 'streamSid' in msg ? { ...msg, streamSid: m.sid } : msg;
    case 'badBase64':
      return msg.event === 'media' ? setPath(msg, ['media', 'payload'], m.p + '*=') : msg;
    case 'extraField':
      return { ...msg, [m.k]: m.v };
  }
}

/** Byte-level damage to the serialized text: truncation, a flipped character, a prefix. */
const textDamage = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      c: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), pre: nastyString }) },
);

function damage(text: string, d: typeof textDamage extends fc.Arbitrary<infer T> ? T : never): string {
  switch (d.kind) {
    case 'none':
      return text;
    case 'truncate':
      return text.slice(0, d.at % Math.max(1, text.length));
    case 'flip': {
      const i = d.at % Math.max(1, text.length);
      return text.slice(0, i) + d.c + text.slice(i + 1);
    }
    case 'wrap':
      return d.pre + text;
  }
}

/**
 * A stream of hostile messages for one socket whose own stream is `ctx.streamSid`: valid messages
 * (so the session lives long enough to be hit with the rest), mutated and damaged ones, random
 * JSON, random text, binary frames and payloads close to the size limit.
 */
export function hostileMessageArb(
  ctx: { streamSid: string; callSid: string; accountSid: string },
  opts: {
    maxBytes: number;
    textWeight?: number;
    mediaWeight?: number;
    binaryWeight?: number;
    /** Near-limit messages on both sides of `maxBytes` (default), or all just below it. */
    nearLimit?: 'straddle' | 'below';
  },
): fc.Arbitrary<RawMessage> {
  const shaped = fc
    .tuple(validShapes(ctx, opts.mediaWeight ?? 8), fc.option(mutation, { freq: 2 }), textDamage)
    .map(([msg, m, d]) => damage(JSON.stringify(m ? applyMutation(msg as Json, m) : msg), d));
  const text = fc.oneof(
    { weight: 12, arbitrary: shaped },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          event: fc.constantFrom('media', 'mark', 'start', 'surprise'),
          // The JSON around the padding is 70 to 80 bytes.
          pad:
            opts.nearLimit === 'below'
              ? fc.integer({ min: opts.maxBytes - 200, max: opts.maxBytes - 100 })
              : fc.integer({ min: opts.maxBytes - 100, max: opts.maxBytes - 40 }),
        })
        .map(({ event, pad }) =>
          JSON.stringify({ event, streamSid: ctx.streamSid, padding: 'x'.repeat(pad) }),
        ),
    },
  );
  return fc.oneof(
    { weight: opts.textWeight ?? 40, arbitrary: text.map((data): RawMessage => ({ data, binary: false })) },
    {
      weight: opts.binaryWeight ?? 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((b): RawMessage => ({ data: Buffer.from(b), binary: true })),
    },
  );
}
