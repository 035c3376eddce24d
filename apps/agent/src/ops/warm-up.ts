/**
 * Work a call process does once, while it waits for its call (LiveKit Agents' prewarm), that the
 * call would otherwise do on its greeting's path. Each call gets a fresh process, so everything the
 * call path touches for the first time is paid by the caller: measured in a job process under
 * `npm run bench:latency`, the first second of a call spent tens of milliseconds on each of these.
 *
 * - The FFI's protobuf message types build their field tables lazily, on first use of each type:
 *   every type rtc-node decodes or encodes is set up here, and a round trip of each warms the
 *   generic decoder and encoder every FFI event and request goes through.
 * - The tools' JSON schemas (zod → JSON Schema) are computed here; `toolJsonSchema` keeps them.
 */
import { createRequire } from 'node:module';
import type { AgentConfig } from '../config.js';
import { businessTools } from '../tools/business/index.js';
import { toolJsonSchema } from '../tools/define.js';
import { endCall } from '../tools/end-call.js';
import { transferCall } from '../tools/transfer-call.js';

export interface WarmUpReport {
  /** FFI message types set up. */
  messageTypes: number;
  /** Tool schemas computed. */
  toolSchemas: number;
  ms: number;
}

interface MessageType {
  new (): { toBinary(): Uint8Array };
  fromBinary(bytes: Uint8Array): unknown;
  fields: { list(): unknown; find(no: number): unknown; byNumber(): unknown; byMember(): unknown };
}

const isMessageType = (value: unknown): value is MessageType =>
  typeof value === 'function' &&
  typeof (value as { fields?: { list?: unknown } }).fields?.list === 'function' &&
  typeof (value as { fromBinary?: unknown }).fromBinary === 'function';

/** rtc-node's FFI bindings: the module instance rtc-node itself loaded (resolved from rtc-node). */
function ffiBindings(): Record<string, unknown> {
  const rtcNode = createRequire(import.meta.url).resolve('@livekit/rtc-node');
  return createRequire(rtcNode)('@livekit/rtc-ffi-bindings') as Record<string, unknown>;
}

function warmMessageTypes(): number {
  let count = 0;
  for (const type of Object.values(ffiBindings())) {
    if (!isMessageType(type)) continue;
    type.fields.list();
    type.fields.find(1);
    type.fields.byNumber();
    type.fields.byMember();
    try {
      type.fromBinary(new type().toBinary());
    } catch {
      // proto2 types with required fields refuse to encode empty: their tables are set up anyway.
    }
    count++;
  }
  return count;
}

function warmToolSchemas(config: AgentConfig): number {
  const tools = [endCall, transferCall, ...businessTools(config.businessTools)];
  for (const tool of tools) toolJsonSchema(tool.parameters);
  return tools.length;
}

export function warmCallProcess(config: AgentConfig): WarmUpReport {
  const started = performance.now();
  const messageTypes = warmMessageTypes();
  const toolSchemas = warmToolSchemas(config);
  return { messageTypes, toolSchemas, ms: Math.round(performance.now() - started) };
}
