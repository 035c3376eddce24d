// bench:calls: its command line, checked with zod (an operator-friendly message and exit 2 when wrong).
import { commandLine } from '@callbridge/testkit/cli';
import { z } from 'zod';
import { DEFAULT_PERIOD_MS } from './_cpu-quota.js';

export const USAGE = `usage: npm run bench:calls [-- --steps 10,50,100,200 --seconds 20 --echoes-per-process 10 --resolution 5 --no-pin --realtime-phones]
       npm run bench:calls -- --fixed --steps 25,50
       npm run bench:calls -- --overload [--max 25 --steps 25,50 --ramp-per-second 4]
       npm run bench:calls -- --bridge-cpu 0.5 [--bridge-cpu-period-ms 10 --bridge-cpu-burst-ms 5] [...]
                                                 (the bridge under a 0.5-core cgroup quota)
       npm run bench:calls -- --codec pcmu [...]       (livekit-server limited to G.711)

N concurrent simulated Twilio calls through the bridge (its own process) and a real livekit-server,
each with an echo participant sending the caller's audio straight back. The steps ramp until one
misses the bar (a dropped call, or a p99 media gap at the caller over 40 ms), then bisect to the knee
within --resolution calls; --fixed runs exactly the given steps; --overload runs them with adaptive
admission on and MAX_CONCURRENT_CALLS at --max (ADMISSION_* variables set for the benchmark are handed
to the bridge; unset ones keep the bridge's defaults). --bridge-cpu confines the bridge to that many cores
by a cgroup CPU quota (root and a cgroup CPU controller needed), as a container CPU limit does;
--bridge-cpu-period-ms is the quota's period (10 by default; docker --cpus and Kubernetes limits use
the kernel's 100) and --bridge-cpu-burst-ms what a period may use beyond its quota, saved from
quieter ones (at most one quota, the default; docker and Kubernetes leave it at the kernel's 0).
--codec pcmu limits livekit-server to G.711 (room.enabled_codecs), so the calls cross LiveKit as PCMU
instead of Opus, and sets the bridge's PHONE_AUDIO_SAMPLE_RATE=8000 as such a deployment does.
Pinned (the default; --no-pin turns it off), the bridge runs alone on core 0 and the rest on the
others. --realtime-phones gives the simulated phones' thread real-time priority there (root and
chrt), so that it reads the bridge's messages when they come, for runs that count gaps; it also
favours the plain LiveKit hop measured in the same thread over the echo processes, so latency
ratios are compared without it. Gaps over 40 ms the phones' own stalled thread could explain are
counted apart in any case (gaps_phone_stalled). Progress goes to stderr; the last line is one JSON object.`;

const Args = z
  .object({
    steps: z
      .string()
      .transform((s) => s.split(',').map(Number))
      .pipe(z.array(z.number().int().positive()).min(1)),
    seconds: z.coerce.number().positive(),
    rampPerSecond: z.coerce.number().positive(),
    echoesPerProcess: z.coerce.number().int().positive(),
    resolution: z.coerce.number().int().positive(),
    fixed: z.boolean(),
    noPin: z.boolean(),
    realtimePhones: z.boolean(),
    overload: z.boolean(),
    max: z.coerce.number().int().positive(),
    bridgeCpu: z.coerce.number().min(0.05).max(1).optional(),
    bridgeCpuPeriodMs: z.coerce.number().int().min(1).max(1000).optional(),
    bridgeCpuBurstMs: z.coerce.number().min(0).max(1000).optional(),
    codec: z.enum(['opus', 'pcmu']),
  })
  .superRefine((a, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (a.bridgeCpu === undefined) {
      if (a.bridgeCpuPeriodMs !== undefined || a.bridgeCpuBurstMs !== undefined)
        issue(
          'bridge-cpu',
          'the period and burst options shape the --bridge-cpu quota: give --bridge-cpu too',
        );
      return;
    }
    const quotaMs = a.bridgeCpu * (a.bridgeCpuPeriodMs ?? DEFAULT_PERIOD_MS);
    if (quotaMs < 1)
      issue(
        'bridge-cpu',
        `the quota is ${quotaMs} ms a period; the kernel needs at least 1 ms: raise the cores or the period`,
      );
    if (a.bridgeCpuBurstMs !== undefined && a.bridgeCpuBurstMs > quotaMs)
      issue('bridge-cpu-burst-ms', `the kernel allows a burst of at most one quota (${quotaMs} ms here)`);
  });
export type CallsArgs = z.infer<typeof Args>;

/** The checked arguments; prints the usage and exits on --help (0) or a wrong argument (2). */
export function parseCallsArgs(): CallsArgs {
  const values = commandLine('bench:calls', USAGE, {
    steps: { type: 'string', default: '10,50,100,200' },
    seconds: { type: 'string', default: '20' },
    'ramp-per-second': { type: 'string' },
    'echoes-per-process': { type: 'string', default: '10' },
    resolution: { type: 'string', default: '5' },
    fixed: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'realtime-phones': { type: 'boolean', default: false },
    overload: { type: 'boolean', default: false },
    max: { type: 'string', default: '25' },
    'bridge-cpu': { type: 'string' },
    'bridge-cpu-period-ms': { type: 'string' },
    'bridge-cpu-burst-ms': { type: 'string' },
    codec: { type: 'string', default: 'opus' },
  });
  const parsed = Args.safeParse({
    ...values,
    rampPerSecond: values['ramp-per-second'] ?? (values.overload ? '4' : '25'),
    echoesPerProcess: values['echoes-per-process'],
    noPin: values['no-pin'],
    realtimePhones: values['realtime-phones'],
    bridgeCpu: values['bridge-cpu'],
    bridgeCpuPeriodMs: values['bridge-cpu-period-ms'],
    bridgeCpuBurstMs: values['bridge-cpu-burst-ms'],
  });
  if (!parsed.success) {
    console.error(
      `bench:calls: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    process.exit(2);
  }
  return parsed.data;
}
