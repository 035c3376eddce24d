/**
 * `report_result`: offered when the call was placed with a result schema (`POST /api/calls`
 * `result_schema`). Its parameters are that schema, converted to zod by the room contract (the
 * bridge validates with the same conversion); the result goes to the bridge over RPC and is stored
 * with the call, then POSTed to the API caller's callback when the call ends.
 */
import { resultSchemaToZod, type ResultSchema } from '@callbridge/room-contract';
import { ResultRefusedError } from '../call/phone-line.js';
import { defineCallTool, SpokenToolError, type CallTool } from './define.js';

export const REPORT_RESULT_TOOL = 'report_result';

export function reportResultTool(schema: ResultSchema): CallTool {
  return defineCallTool({
    name: REPORT_RESULT_TOOL,
    description:
      'Record the result of the task of this call, as soon as you have it and before the call ends. ' +
      'Fill in only what the person actually told you. ' +
      (schema.description ? `The result: ${schema.description}` : ''),
    parameters: resultSchemaToZod(schema),
    async execute(result, { runtime }) {
      if (!runtime.phone)
        throw new SpokenToolError(
          'There is no phone system to record the result on this call. Go on without it.',
        );
      try {
        await runtime.phone.reportResult(result as Record<string, unknown>);
      } catch (err) {
        if (err instanceof ResultRefusedError)
          throw new SpokenToolError(
            `The result was not recorded: ${err.message}. Correct it and call report_result again.`,
          );
        throw err;
      }
      return 'The result is recorded. If nothing else is needed, thank the person, say goodbye and end the call.';
    },
  });
}
