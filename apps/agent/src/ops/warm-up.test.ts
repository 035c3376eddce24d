import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { toolJsonSchema } from '../tools/define.js';
import { endCall } from '../tools/end-call.js';
import { warmCallProcess } from './warm-up.js';

const env = {
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  OPENAI_API_KEY: 'sk-test',
  AGENT_TOOLS: 'check_eligibility',
};

/** The FFI event type rtc-node decodes every event with, from the module instance rtc-node uses. */
function ffiEventFields(): { all?: unknown; numbers?: unknown } {
  const rtcNode = createRequire(import.meta.url).resolve('@livekit/rtc-node');
  const bindings = createRequire(rtcNode)('@livekit/rtc-ffi-bindings') as {
    FfiEvent: { fields: { all?: unknown; numbers?: unknown } };
  };
  return bindings.FfiEvent.fields;
}

describe('warmCallProcess', () => {
  it("sets up every FFI message type's field tables before a call needs them", () => {
    const report = warmCallProcess(loadConfig(env));
    // rtc-node's FFI has a few hundred message types; each one was found and set up.
    expect(report.messageTypes).toBeGreaterThan(100);
    // protobuf-es builds these lazily, at the first decode of each type: the call no longer does.
    const fields = ffiEventFields();
    expect(fields.all).toBeDefined();
    expect(fields.numbers).toBeDefined();
  });

  it('computes the tool schemas a call offers (the call control tools and the configured business tools)', () => {
    expect(warmCallProcess(loadConfig(env)).toolSchemas).toBe(3);
  });
});

describe('toolJsonSchema', () => {
  it('computes a schema once and hands each caller its own copy', () => {
    const first = toolJsonSchema(endCall.parameters);
    const second = toolJsonSchema(endCall.parameters);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    (first as { mutated?: boolean }).mutated = true;
    expect(toolJsonSchema(endCall.parameters)).not.toHaveProperty('mutated');
  });
});
