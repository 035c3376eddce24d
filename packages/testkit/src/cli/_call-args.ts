/** Command-line arguments of `npm run call`, parsed with node:util and checked with zod. */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const USAGE = `usage: npm run call -- --bridge <public base URL> --wav <file.wav> --out <heard.wav>
         [--auth-token T] [--from +1555…] [--to +1555…] [--seconds N] [--dtmf 1234]
         [--connect <local base URL>] [--status-callback <URL>]

  --bridge           the bridge's public base URL; the voice webhook is <bridge>/twilio/voice
  --connect          where that public URL is really reachable (e.g. http://127.0.0.1:8080);
                     signatures still cover the public URLs, as behind a proxy
  --wav              16-bit WAV the caller says (converted to 8 kHz mono with sox if needed)
  --out              where to write what the caller heard (8 kHz mono WAV)
  --auth-token       Twilio auth token the bridge validates with (default: $TWILIO_AUTH_TOKEN)
  --from, --to       the caller's and the called number (default +15005550006, +15005550001)
  --seconds          keep listening this long after the WAV (and DTMF) were sent (default 5)
  --dtmf             keys to press after the WAV, e.g. 1234#
  --status-callback  the call's status callback URL (default: none)
  -h, --help         print this and exit`;

const phone = z.string().regex(/^\+[1-9][0-9]{1,14}$/, 'expected an E.164 number like +15551234567');

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'expected an http:// or https:// URL')
  .transform((u) => u.replace(/\/+$/, ''));

const ArgsSchema = z.object({
  bridge: httpUrl,
  connect: httpUrl.optional(),
  wav: z.string().min(1),
  out: z.string().min(1),
  authToken: z.string().min(1, 'pass --auth-token or set TWILIO_AUTH_TOKEN'),
  from: phone,
  to: phone,
  seconds: z.coerce.number().min(0).max(3600),
  dtmf: z
    .string()
    .regex(/^[0-9*#A-D]+$/, 'expected DTMF keys: 0-9, *, #, A-D')
    .optional(),
  statusCallback: httpUrl.optional(),
});

export type CallArgs = z.infer<typeof ArgsSchema>;

/**
 * Parses argv; `'help'` when --help (or -h) is given, whatever else is; throws an Error whose
 * message names each bad argument.
 */
export function parseCallArgs(argv: string[], env: NodeJS.ProcessEnv): CallArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      bridge: { type: 'string' },
      connect: { type: 'string' },
      wav: { type: 'string' },
      out: { type: 'string' },
      'auth-token': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      seconds: { type: 'string' },
      dtmf: { type: 'string' },
      'status-callback': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const parsed = ArgsSchema.safeParse({
    bridge: values.bridge,
    connect: values.connect,
    wav: values.wav,
    out: values.out,
    authToken: values['auth-token'] ?? env.TWILIO_AUTH_TOKEN ?? '',
    from: values.from ?? '+15005550006',
    to: values.to ?? '+15005550001',
    seconds: values.seconds ?? '5',
    dtmf: values.dtmf,
    statusCallback: values['status-callback'],
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `--${flagName(String(i.path[0]))}: ${i.message}`);
    throw new Error(problems.join('\n'));
  }
  return parsed.data;
}

function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Rewrites URLs on the bridge's public origin to the local one (keeping ws/wss vs http/https in
 * step), so the simulator signs public URLs but connects where the bridge really listens.
 */
export function originRewriter(publicBase: string, localBase: string | undefined): (url: string) => string {
  if (!localBase) return (u) => u;
  const pub = new URL(publicBase);
  const local = new URL(localBase);
  return (url) => {
    const u = new URL(url);
    if (u.host !== pub.host) return url;
    const secure = local.protocol === 'https:';
    const ws = u.protocol === 'ws:' || u.protocol === 'wss:';
    u.protocol = ws ? (secure ? 'wss:' : 'ws:') : local.protocol;
    u.host = local.host;
    return u.toString();
  };
}
