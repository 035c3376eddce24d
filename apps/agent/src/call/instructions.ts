/**
 * The model's instructions for one call: the configured persona, then the facts of this call
 * (direction, numbers, date) and any task or extra instructions the dispatcher passed in.
 */
import type { CallContext } from './context.js';

export function composeInstructions(persona: string, call: CallContext, now: Date = new Date()): string {
  const facts: string[] = [];
  if (call.direction === 'outbound') {
    facts.push(`You placed this call${call.remoteNumber ? ` to ${call.remoteNumber}` : ''}.`);
  } else if (call.direction === 'inbound') {
    facts.push(`The caller phoned us${call.remoteNumber ? ` from ${call.remoteNumber}` : ''}.`);
  }
  if (call.ourNumber) facts.push(`Our phone number is ${call.ourNumber}.`);
  // Dates matter for appointments and eligibility; the model has no clock of its own.
  facts.push(`Today is ${now.toISOString().slice(0, 10)} (UTC).`);
  const sections = [persona.trim(), `Call facts: ${facts.join(' ')}`];
  if (call.task) sections.push(`Your task on this call: ${call.task.trim()}`);
  if (call.resultSchema)
    sections.push(
      'When you have the result of your task, call report_result with it before you end the call. ' +
        'If you cannot get a result, end the call without reporting one; never invent a result.',
    );
  if (call.instructions) sections.push(call.instructions.trim());
  return sections.join('\n\n');
}

/**
 * What the agent says first. The configured greeting fits a caller who phoned us; on a call we
 * placed the person did not expect us, so the agent says it is an AI and why it calls. (A response's
 * own instructions replace the session's in the Realtime API, so the task is repeated here.)
 */
export function greetingInstructions(configured: string, call: CallContext): string {
  if (call.direction !== 'outbound') return configured;
  const purpose = call.task
    ? `state the purpose of this call in one sentence (your task: ${call.task.trim()})`
    : 'state in one sentence why you are calling';
  return (
    'You placed this call and the person did not expect it. Say hello, say that you are an AI ' +
    `assistant (never claim to be human), ${purpose}, and ask whether now is a good time to talk.`
  );
}
