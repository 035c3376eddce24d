import { llm, type voice } from '@livekit/agents';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ResultRefusedError, TransferRefusedError, type PhoneControl } from '../call/phone-line.js';
import { EligibilityService } from '../services/eligibility.js';
import { checkEligibilityTool } from './business/check-eligibility.js';
import {
  defineCallTool,
  SpokenToolError,
  toFunctionTool,
  toolJsonSchema,
  type ToolRuntime,
} from './define.js';
import { businessTools, callTools } from './index.js';
import type { ToolCallRecord } from './tool-call-log.js';
import { reportResultTool } from './report-result.js';
import { normalisePhoneNumber, transferCall } from './transfer-call.js';

const silent = pino({ level: 'silent' });
const run = {} as voice.RunContext;

function runtime(overrides: Partial<ToolRuntime> = {}): ToolRuntime {
  return {
    call: { issues: [] },
    phone: undefined,
    logger: silent,
    transferAllowlist: [],
    endCallAfterReply: () => undefined,
    ...overrides,
  };
}

/** Runs a tool through the same wrapper the agent uses; returns what the model would get. */
async function callThroughWrapper(tool: ReturnType<typeof defineCallTool>, args: unknown, rt = runtime()) {
  const records: ToolCallRecord[] = [];
  const fn = toFunctionTool(tool, rt, { record: (r) => records.push(r) });
  try {
    const output = await fn.execute(args as never, {
      ctx: run as never,
      toolCallId: 'call_1',
      abortSignal: new AbortController().signal,
    });
    return { output, error: undefined, records };
  } catch (err) {
    expect(err).toBeInstanceOf(llm.ToolError);
    return { output: undefined, error: (err as Error).message, records };
  }
}

describe('check_eligibility (example business tool)', () => {
  const service = new EligibilityService(undefined, () => '2025-06-01');
  const tool = checkEligibilityTool(service);

  it('accepts an id as spoken and reports coverage in words', async () => {
    const { output, records } = await callThroughWrapper(tool, {
      member_id: 'm b 1 2 3-4 5 6',
      date_of_birth: '1985-03-15',
    });
    expect(output).toEqual({
      eligible: true,
      summary: 'Dana is covered on the Silver PPO plan; the copay is 25 dollars per visit.',
      covered_until: '2030-12-31',
    });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ name: 'check_eligibility', toolCallId: 'call_1', result: output });
  });

  it('says why coverage is missing', async () => {
    const { output } = await callThroughWrapper(tool, { member_id: 'MB654321', date_of_birth: '1972-11-02' });
    expect(output).toEqual({ eligible: false, summary: "Luis's Bronze HMO coverage ended on 2023-06-30." });
  });

  it('turns lookup failures into sentences the model can say, without leaking what is on file', async () => {
    const notFound = await callThroughWrapper(tool, { member_id: 'MB000001', date_of_birth: '1985-03-15' });
    expect(notFound.error).toBe(
      'No member was found with ID M B 0 0 0 0 0 1. Ask the caller to read the ID again.',
    );
    const mismatch = await callThroughWrapper(tool, { member_id: 'MB123456', date_of_birth: '1985-03-16' });
    expect(mismatch.error).toContain('does not match');
    expect(mismatch.error).not.toContain('1985-03-15');
    expect(mismatch.records[0]?.error).toBe(mismatch.error);
  });

  it('validates arguments and names each problem', async () => {
    const { error, records } = await callThroughWrapper(tool, {
      member_id: 'AB12',
      date_of_birth: '2025-02-30',
    });
    expect(error).toBe(
      'Those details could not be used (member_id: a member ID is the letters M B followed by six digits; ' +
        'date_of_birth: that date of birth is not a real calendar date). Ask the caller to repeat or correct them.',
    );
    expect(records[0]?.arguments).toEqual({ member_id: 'AB12', date_of_birth: '2025-02-30' });
    expect((await callThroughWrapper(tool, {})).error).toContain('member_id');
  });

  it('shows the model the input shape (as the caller says it), not the normalised one', () => {
    const schema = toolJsonSchema(tool.parameters) as {
      properties: Record<string, { type: string; description: string }>;
      required: string[];
    };
    expect(schema.properties.member_id).toMatchObject({ type: 'string' });
    expect(schema.properties.member_id?.description).toContain('M B 1 2 3 4 5 6');
    expect(schema.required).toEqual(['member_id', 'date_of_birth']);
  });
});

describe('tool wrapper', () => {
  it('hides unexpected failures behind a sayable sentence', async () => {
    const broken = defineCallTool({
      name: 'broken',
      description: 'fails',
      parameters: z.object({}),
      execute: async () => {
        throw new Error('ECONNREFUSED 10.0.0.3:5432 password=hunter2');
      },
    });
    const { error, records } = await callThroughWrapper(broken, {});
    expect(error).toBe(
      'That system is not answering right now. Apologise and offer to help with something else.',
    );
    expect(JSON.stringify(records)).not.toContain('hunter2');
  });

  it('passes SpokenToolError messages through', async () => {
    const picky = defineCallTool({
      name: 'picky',
      description: 'refuses',
      parameters: z.object({}),
      execute: async () => {
        throw new SpokenToolError('We are closed on Sundays.');
      },
    });
    expect((await callThroughWrapper(picky, {})).error).toBe('We are closed on Sundays.');
  });
});

describe('transfer_call', () => {
  const phone = (result: 'ok' | 'refuse') => {
    const calls: string[] = [];
    const summaries: (string | undefined)[] = [];
    const line: PhoneControl = {
      transfer: async (to: string, summary?: string) => {
        calls.push(to);
        summaries.push(summary);
        if (result === 'refuse') throw new TransferRefusedError('destination not allowed');
      },
      hangup: async () => true,
      reportResult: async () => undefined,
    };
    return { line, calls, summaries };
  };
  const SUMMARY = 'Ana Ruiz wants a refund for order 1234.';

  it('normalises spoken numbers to E.164', () => {
    expect(normalisePhoneNumber('+1 (555) 000-1111')).toBe('+15550001111');
    expect(normalisePhoneNumber('555 000 1111')).toBe('+15550001111');
    expect(normalisePhoneNumber('+44 20 7123 4567')).toBe('+442071234567');
  });

  it('only asks the bridge for allow-listed numbers, passing the summary the human will hear', async () => {
    const { line, calls, summaries } = phone('ok');
    const rt = runtime({ phone: line, transferAllowlist: ['+15550001111'] });
    expect(
      (await callThroughWrapper(transferCall, { to: '555-000-1111', summary: SUMMARY }, rt)).output,
    ).toMatchObject({ transferring: true, to: '+15550001111' });
    expect(
      (await callThroughWrapper(transferCall, { to: '+15559999999', summary: SUMMARY }, rt)).error,
    ).toContain('not allowed');
    expect(calls).toEqual(['+15550001111']);
    expect(summaries).toEqual([SUMMARY]);
  });

  it('asks the model for a summary when it gives none', async () => {
    const { line, calls } = phone('ok');
    const rt = runtime({ phone: line, transferAllowlist: ['+15550001111'] });
    expect((await callThroughWrapper(transferCall, { to: '+15550001111' }, rt)).error).toContain('summary');
    expect(calls).toEqual([]);
  });

  it('reports a refusal by the bridge in words', async () => {
    const { line } = phone('refuse');
    const rt = runtime({ phone: line, transferAllowlist: ['+15550001111'] });
    expect(
      (await callThroughWrapper(transferCall, { to: '+15550001111', summary: SUMMARY }, rt)).error,
    ).toContain('The transfer did not go through (destination not allowed)');
  });
});

describe('report_result', () => {
  const schema = {
    type: 'object',
    description: 'Whether the table is booked.',
    properties: {
      confirmed: { type: 'boolean', description: 'The restaurant confirmed the booking' },
      code: { type: 'string', maxLength: 12 },
    },
    required: ['confirmed'],
  } as const;
  const phone = (refuse?: string) => {
    const reports: Record<string, unknown>[] = [];
    const line: PhoneControl = {
      transfer: async () => undefined,
      hangup: async () => true,
      reportResult: async (result) => {
        if (refuse) throw new ResultRefusedError(refuse);
        reports.push(result);
      },
    };
    return { line, reports };
  };
  const tool = reportResultTool({ ...schema, properties: { ...schema.properties }, required: ['confirmed'] });

  it('offers the schema to the model as its parameters, descriptions included', () => {
    const json = toolJsonSchema(tool.parameters) as {
      properties: Record<string, { type: string; description?: string }>;
      required: string[];
    };
    expect(json.properties.confirmed).toMatchObject({
      type: 'boolean',
      description: schema.properties.confirmed.description,
    });
    expect(json.required).toEqual(['confirmed']);
    expect(tool.description).toContain('Whether the table is booked.');
  });

  it('hands a valid result to the bridge; an invalid one goes back to the model in words', async () => {
    const { line, reports } = phone();
    const rt = runtime({ phone: line });
    expect((await callThroughWrapper(tool, { confirmed: true, code: 'ABC123' }, rt)).output).toContain(
      'The result is recorded',
    );
    const invalid = await callThroughWrapper(tool, { confirmed: 'yes' }, rt);
    expect(invalid.error).toContain('confirmed:');
    expect(reports).toEqual([{ confirmed: true, code: 'ABC123' }]);
  });

  it('tells the model when the bridge refuses, and when there is no phone line', async () => {
    const refused = await callThroughWrapper(
      tool,
      { confirmed: true },
      runtime({ phone: phone('too late').line }),
    );
    expect(refused.error).toBe(
      'The result was not recorded: too late. Correct it and call report_result again.',
    );
    expect((await callThroughWrapper(tool, { confirmed: true })).error).toContain('no phone system');
  });

  it('is offered only on calls with a result schema', () => {
    const recorder = { record: () => undefined };
    expect(callTools(runtime(), recorder).map((t) => t.name)).toEqual(['end_call']);
    const withSchema = runtime({
      call: {
        issues: [],
        resultSchema: { ...schema, properties: { ...schema.properties }, required: ['confirmed'] },
      },
    });
    expect(callTools(withSchema, recorder).map((t) => t.name)).toEqual(['end_call', 'report_result']);
  });
});

describe('callTools', () => {
  const recorder = { record: () => undefined };

  it('offers transfer only when there is somewhere to transfer to, listing the numbers', () => {
    expect(callTools(runtime(), recorder).map((t) => t.name)).toEqual(['end_call']);
    const tools = callTools(
      runtime({ transferAllowlist: ['+15550001111'] }),
      recorder,
      businessTools(['check_eligibility']),
    );
    expect(tools.map((t) => t.name)).toEqual(['end_call', 'transfer_call', 'check_eligibility']);
    expect(tools.find((t) => t.name === 'transfer_call')?.description).toContain(
      'Allowed numbers: +15550001111.',
    );
  });

  it('offers business tools only when named (none by default), and refuses an unknown name', () => {
    expect(callTools(runtime(), recorder, businessTools([])).map((t) => t.name)).toEqual(['end_call']);
    expect(() => businessTools(['check_balance'])).toThrow('available: check_eligibility');
  });

  it('refuses two tools with one name', () => {
    const dup = defineCallTool({
      name: 'end_call',
      description: 'x',
      parameters: z.object({}),
      execute: async () => 'x',
    });
    expect(() => callTools(runtime(), recorder, [dup])).toThrow('two tools are named end_call');
  });

  it('end_call schedules the hang-up and tells the model to say goodbye', async () => {
    const reasons: string[] = [];
    const [endCall] = callTools(runtime({ endCallAfterReply: (r) => reasons.push(r) }), recorder);
    const output = await endCall!.execute({ reason: 'done' } as never, {
      ctx: run as never,
      toolCallId: 'c',
      abortSignal: new AbortController().signal,
    });
    expect(reasons).toEqual(['done']);
    expect(String(output)).toContain('Say a short, warm goodbye');
  });
});
