/**
 * `npm run call`: place one simulated Twilio call against a running bridge, say a WAV, listen,
 * hang up, and write what the caller heard. Prints a human summary, then one JSON line last.
 */
import { rmsDbfs } from '../audio-fixtures/index.js';
import { isProgressMark, type SimulatedCall, TwilioSimulator } from '../twilio/index.js';
import { type CallArgs, originRewriter, parseCallArgs, USAGE } from './_call-args.js';
import { loadCallerAudio } from './_wav-input.js';

async function main(): Promise<number> {
  let args: CallArgs | 'help';
  try {
    args = parseCallArgs(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { pcm, converted } = loadCallerAudio(args.wav);
  const sim = new TwilioSimulator({
    authToken: args.authToken,
    rewriteUrl: originRewriter(args.bridge, args.connect),
  });

  const call = await sim.placeInboundCall({
    voiceUrl: `${args.bridge}/twilio/voice`,
    from: args.from,
    to: args.to,
    statusCallbackUrl: args.statusCallback,
  });
  if (call.streamSid === null || call.streamRefused) {
    report(call, null, { saidMs: pcm.length / 8, converted });
    return call.webhook?.ok && call.webhook.status < 300 && !call.twimlError && !call.streamRefused ? 0 : 1;
  }

  const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  const serverClosed = call.closed.then(() => undefined);
  await Promise.race([call.sendAudio(pcm), serverClosed, interrupted]);
  const saidEndedAtMs = performance.now();
  if (args.dtmf)
    await Promise.race([call.sendDtmf(args.dtmf).catch(() => undefined), serverClosed, interrupted]);
  await Promise.race([sleep(args.seconds * 1000), serverClosed, interrupted]);
  await call.hangup();
  call.saveHeard(args.out);
  report(call, saidEndedAtMs, { saidMs: pcm.length / 8, converted, out: args.out });
  return 0;
}

function report(
  call: SimulatedCall,
  saidEndedAtMs: number | null,
  info: { saidMs: number; converted: boolean; out?: string },
): void {
  const hasStream = call.streamSid !== null && !call.streamRefused;
  const heard = hasStream ? call.heardPcm() : new Int16Array(0);
  // The bridge also marks its progress inside each utterance; count the utterances played out.
  const utteranceMarks = call.marksEchoed.filter((m) => !isProgressMark(m)).length;
  const replyOnset = saidEndedAtMs === null ? undefined : call.audioOnsets.find((t) => t >= saidEndedAtMs);
  const webhook = call.webhook;
  const lines = [
    `call ${call.callSid}`,
    `  voice webhook: ${webhook ? (webhook.ok ? `HTTP ${webhook.status}` : webhook.error) : 'not requested'}`,
  ];
  if (call.twimlError) lines.push(`  TwiML error: ${call.twimlError}`);
  if (call.twiml) lines.push(`  TwiML verbs: ${call.twiml.summary.verbs.join(', ')}`);
  if (call.said.length > 0)
    lines.push(`  Twilio said: ${call.said.map((s) => JSON.stringify(s)).join(' / ')}`);
  if (call.rejected) lines.push(`  rejected: ${call.rejected}`);
  if (call.streamRefused) lines.push(`  stream refused: ${call.streamRefused.error}`);
  if (hasStream) {
    lines.push(
      `  stream ${call.streamSid}: sent ${(info.saidMs / 1000).toFixed(2)} s of audio${info.converted ? ' (converted with sox)' : ''}`,
      `  heard ${(heard.length / 8000).toFixed(2)} s at ${rmsDbfs(heard).toFixed(1)} dBFS; ` +
        `${call.audioOnsets.length} audio onset(s), ${utteranceMarks} utterance mark(s), ${call.clears.length} clear(s)`,
    );
    if (replyOnset !== undefined && saidEndedAtMs !== null) {
      lines.push(`  first audio after the caller finished: ${(replyOnset - saidEndedAtMs).toFixed(0)} ms`);
    }
    if (info.out) lines.push(`  wrote ${info.out}`);
  }
  for (const v of call.violations) lines.push(`  PROTOCOL VIOLATION: ${v}`);
  console.log(lines.join('\n'));
  console.log(
    JSON.stringify({
      call_sid: call.callSid,
      stream_sid: hasStream ? call.streamSid : null,
      webhook_status: webhook?.ok ? webhook.status : null,
      twiml_verbs: call.twiml?.summary.verbs ?? [],
      said: call.said,
      heard_ms: heard.length / 8,
      heard_rms_dbfs: hasStream ? Number(rmsDbfs(heard).toFixed(2)) : null,
      reply_latency_ms:
        replyOnset !== undefined && saidEndedAtMs !== null ? Math.round(replyOnset - saidEndedAtMs) : null,
      audio_onsets: call.audioOnsets.length,
      marks: utteranceMarks,
      clears: call.clears.length,
      violations: call.violations.length,
    }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`call failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
