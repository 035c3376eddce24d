/** The tools a call offers the model: call control (end, transfer), report_result, the business tools. */
import type { llm } from '@livekit/agents';
import { toFunctionTool, type CallTool, type ToolRuntime } from './define.js';
import { endCall } from './end-call.js';
import { reportResultTool } from './report-result.js';
import type { ToolCallRecorder } from './tool-call-log.js';
import { transferCall } from './transfer-call.js';

export function callTools(
  runtime: ToolRuntime,
  recorder: ToolCallRecorder,
  business: CallTool[] = [],
): llm.FunctionTool[] {
  const tools: CallTool[] = [endCall];
  // Offering a transfer tool with nowhere to transfer to would only invite failed attempts.
  if (runtime.transferAllowlist.length > 0) {
    tools.push({
      ...transferCall,
      description: `${transferCall.description} Allowed numbers: ${runtime.transferAllowlist.join(', ')}.`,
    });
  }
  // A call placed with a result schema reports its task's result in that shape.
  if (runtime.call.resultSchema) tools.push(reportResultTool(runtime.call.resultSchema));
  tools.push(...business);
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name)) throw new Error(`two tools are named ${tool.name}; tool names must be unique`);
    names.add(tool.name);
  }
  return tools.map((tool) => toFunctionTool(tool, runtime, recorder));
}

export {
  defineCallTool,
  SpokenToolError,
  type CallTool,
  type CallToolSpec,
  type ToolRuntime,
} from './define.js';
export { BUSINESS_TOOL_NAMES, businessTools } from './business/index.js';
export { TOOL_CALLS_TOPIC } from '@callbridge/room-contract';
export type { ToolCallRecord } from './tool-call-log.js';
