/**
 * How a tool is written (defineCallTool): a name, a description for the model, a zod schema for
 * its arguments and an `execute` that returns what the model should know. The wrapper around it
 * (toFunctionTool) validates arguments with the schema, turns failures into sentences the model
 * can say to the caller, and records every call (room text stream + metrics) whatever its outcome.
 */
import { llm, type voice } from '@livekit/agents';
import { z } from 'zod';
import type { CallContext } from '../call/context.js';
import type { PhoneControl } from '../call/phone-line.js';
import type { Logger } from '../ops/logger.js';
import type { ToolCallRecorder } from './tool-call-log.js';

/** Thrown by a tool (or the service behind it) with a message fit to be read to the caller. */
export class SpokenToolError extends Error {
  override name = 'SpokenToolError';
}

/** What the call offers its tools. */
export interface ToolRuntime {
  call: CallContext;
  /** Absent when nobody from the bridge is in the room (e.g. a developer joined with `lk`). */
  phone: PhoneControl | undefined;
  logger: Logger;
  transferAllowlist: readonly string[];
  /** Hangs up once the agent's next reply has been heard in full. */
  endCallAfterReply(reason: string): void;
}

export type ToolResult = string | Record<string, unknown>;

export interface ToolInvocation {
  runtime: ToolRuntime;
  run: voice.RunContext;
}

/** How a tool is written: `execute` receives arguments already validated by `parameters`. */
export interface CallToolSpec<S extends z.ZodObject> {
  name: string;
  /** Read by the model to decide when to call the tool; say when, and when not. */
  description: string;
  parameters: S;
  execute(args: z.output<S>, ctx: ToolInvocation): Promise<ToolResult>;
}

/** A defined tool, with its argument type erased so tools of any shape fit in one list. */
export interface CallTool {
  name: string;
  description: string;
  parameters: z.ZodObject;
  /** Validates `rawArgs` (throwing InvalidToolArgumentsError) and runs the tool. */
  invoke(rawArgs: unknown, ctx: ToolInvocation): Promise<ToolResult>;
}

export class InvalidToolArgumentsError extends Error {
  override name = 'InvalidToolArgumentsError';
  constructor(readonly issues: z.ZodError) {
    super(describeInvalidArguments(issues));
  }
}

export function defineCallTool<S extends z.ZodObject>(spec: CallToolSpec<S>): CallTool {
  return {
    name: spec.name,
    description: spec.description,
    parameters: spec.parameters,
    async invoke(rawArgs, ctx) {
      const parsed = spec.parameters.safeParse(rawArgs);
      if (!parsed.success) throw new InvalidToolArgumentsError(parsed.error);
      return spec.execute(parsed.data, ctx);
    },
  };
}

const UNAVAILABLE =
  'That system is not answering right now. Apologise and offer to help with something else.';

/** Validation failures as one sentence the model can act on ("ask the caller to repeat…"). */
export function describeInvalidArguments(error: z.ZodError): string {
  const problems = error.issues.map((i) => {
    const field = i.path.join('.') || 'the request';
    return `${field}: ${i.message}`;
  });
  return `Those details could not be used (${problems.join('; ')}). Ask the caller to repeat or correct them.`;
}

/** Computed once per schema: the call process computes its tools' schemas before its call (ops/warm-up.ts). */
const jsonSchemas = new WeakMap<z.ZodObject, Record<string, unknown>>();

/**
 * The schema the model sees: the *input* side, so fields the tool normalises (e.g. "M B 1 2 3")
 * are described as the caller would say them, not as the tool stores them.
 */
export function toolJsonSchema(schema: z.ZodObject): Record<string, unknown> {
  const known = jsonSchemas.get(schema);
  if (known) return structuredClone(known);
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
  });
  jsonSchemas.set(schema, json);
  return structuredClone(json);
}

/**
 * Wraps a CallTool as a LiveKit function tool. The JSON schema is given to the framework (so it
 * does not validate on its own and answer with raw zod text); validation happens here.
 */
export function toFunctionTool(
  tool: CallTool,
  runtime: ToolRuntime,
  recorder: ToolCallRecorder,
): llm.FunctionTool {
  return llm.tool({
    name: tool.name,
    description: tool.description,
    parameters: toolJsonSchema(tool.parameters),
    execute: async (rawArgs: unknown, { ctx: run, toolCallId }) => {
      const startedAt = Date.now();
      const record = (outcome: { result: ToolResult } | { error: string }) =>
        recorder.record({
          name: tool.name,
          toolCallId,
          arguments: rawArgs,
          startedAt,
          endedAt: Date.now(),
          ...outcome,
        });
      try {
        const result = await tool.invoke(rawArgs, { runtime, run: run as voice.RunContext });
        record({ result });
        return result;
      } catch (err) {
        const spoken =
          err instanceof SpokenToolError ||
          err instanceof InvalidToolArgumentsError ||
          err instanceof llm.ToolError;
        const message = spoken ? (err as Error).message : UNAVAILABLE;
        if (!spoken) runtime.logger.error({ tool: tool.name, err }, 'tool failed');
        record({ error: message });
        throw new llm.ToolError(message);
      }
    },
  });
}
