/**
 * Reads and checks ROUTES_FILE (docs/routing.md): YAML (or JSON, which is YAML) parsed with the
 * `yaml` package, which keeps every node's position, so each problem is reported with the file,
 * the line and the field, e.g. `routes.yaml line 12: numbers."+15550100001".voice: expected one
 * of alloy, ash, …`. A file with any problem is refused as a whole: the bridge does not start.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  BUSINESS_TOOL_NAMES,
  languageCodeSchema,
  PERSONA_LIMITS,
  REALTIME_VOICES,
} from '@callbridge/room-contract';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import type { CallRoute, CallRoutes } from './call-routes.js';

const E164 = /^\+[1-9]\d{6,14}$/;
const e164 = z.string().regex(E164, 'must be an E.164 number like "+15551234567"');

const routeSchema = z
  .object({
    /** A label for logs, the call record and `POST /api/calls`'s `route` (default: the key). */
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a name like "sales" (letters, digits, _ and -)')
      .optional(),
    agent: z
      .string({ error: 'is required: the LiveKit agent name to dispatch (the worker’s AGENT_NAME)' })
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be an agent name like "sales-agent" (the worker’s AGENT_NAME)'),
    instructions: z.string().trim().min(1).max(PERSONA_LIMITS.persona).optional(),
    greeting: z.string().trim().min(1).max(PERSONA_LIMITS.greeting).optional(),
    voice: z.enum(REALTIME_VOICES).optional(),
    language: languageCodeSchema.optional(),
    tools: z.array(z.enum(BUSINESS_TOOL_NAMES)).max(PERSONA_LIMITS.tools).optional(),
    transfer_targets: z.array(e164).max(PERSONA_LIMITS.transferTargets).optional(),
  })
  .strict();
type RouteInput = z.infer<typeof routeSchema>;

function fileSchema(transferAllowlist: readonly string[]) {
  return z
    .object({
      default: routeSchema,
      numbers: z.record(z.string(), routeSchema).default({}),
    })
    .strict()
    .superRefine((file, ctx) => {
      const routes: [string[], RouteInput][] = [
        [['default'], file.default],
        ...Object.entries(file.numbers).map(([n, r]): [string[], RouteInput] => [['numbers', n], r]),
      ];
      for (const number of Object.keys(file.numbers))
        if (!E164.test(number))
          ctx.addIssue({
            code: 'custom',
            path: ['numbers', number],
            message: 'must be an E.164 number like "+15551234567" (the number callers dial)',
          });
      const names = new Map<string, string>();
      for (const [path, route] of routes) {
        const where = path.join('.');
        if (route.name !== undefined) {
          if (route.name === 'default' && path[0] !== 'default')
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'name'],
              message: '"default" is the default route’s name',
            });
          const other = names.get(route.name);
          if (other)
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'name'],
              message: `"${route.name}" is already the name of ${other}: names must be unique`,
            });
          names.set(route.name, where);
        }
        route.transfer_targets?.forEach((target, i) => {
          if (!transferAllowlist.includes(target))
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'transfer_targets', i],
              message: `${target} is not in TRANSFER_ALLOWLIST (a route may only narrow it)`,
            });
        });
      }
    });
}

export class RoutesFileError extends Error {
  override name = 'RoutesFileError';
}

/** Reads ROUTES_FILE; throws RoutesFileError naming the file, line and field of every problem. */
export function loadRoutesFile(path: string, opts: { transferAllowlist: readonly string[] }): CallRoutes {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RoutesFileError(`ROUTES_FILE ${path} cannot be read: ${(err as Error).message}`);
  }
  return parseRoutes(text, path, opts);
}

/** Parses and checks the text of a routes file (`path` names it in messages). */
export function parseRoutes(
  text: string,
  path: string,
  opts: { transferAllowlist: readonly string[] },
): CallRoutes {
  const file = basename(path);
  const lines = new LineCounter();
  // `uniqueKeys` (the default) makes a number listed twice an error with its position.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number) => lines.linePos(offset).line;
  const problems: string[] = doc.errors.map((e) =>
    e.code === 'DUPLICATE_KEY'
      ? `${file} line ${lineOf(e.pos[0])}: listed twice (each number, and each field of a route, once)`
      : `${file} line ${lineOf(e.pos[0])}: ${e.message.split('\n')[0]}`,
  );
  if (problems.length === 0) {
    const unquoted = unquotedNumbers(doc, file, lineOf);
    problems.push(...unquoted.map((u) => u.problem));
    const parsed = fileSchema(opts.transferAllowlist).safeParse(doc.toJS() ?? {});
    if (parsed.success && problems.length === 0) return toRoutes(parsed.data, path);
    if (!parsed.success)
      for (const issue of parsed.error.issues) {
        // Already reported as unquoted (and "not E.164" would hide the hint).
        if (issue.path.length === 2 && unquoted.some((u) => u.key === String(issue.path[1]))) continue;
        const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown field (a route has: ${Object.keys(routeSchema.shape).join(', ')})`
            : issue.message;
        problems.push(`${file} line ${lineOf(offsetOf(doc, at))}: ${fieldPath(at)}: ${message}`);
      }
  }
  throw new RoutesFileError(`ROUTES_FILE ${path} is invalid:\n  ${problems.join('\n  ')}`);
}

/** `+15551234567:` unquoted is an integer in YAML: say so rather than report a number without its `+`. */
function unquotedNumbers(
  doc: Document,
  file: string,
  lineOf: (offset: number) => number,
): { key: string; problem: string }[] {
  const numbers = isMap(doc.contents) ? doc.contents.get('numbers', true) : undefined;
  if (!isMap(numbers)) return [];
  return numbers.items
    .filter((pair) => isScalar(pair.key) && typeof pair.key.value !== 'string')
    .map((pair) => {
      const key = pair.key as { value: unknown; range?: [number, number, number] | null };
      const problem =
        `${file} line ${lineOf(key.range?.[0] ?? 0)}: numbers.${String(key.value)}: ` +
        'quote the number, e.g. "+15551234567" (unquoted, YAML reads it as an integer)';
      return { key: String(key.value), problem };
    });
}

/** Where the deepest existing part of `path` starts in the text (a key's position, else the node's). */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: number[] } | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as { range?: number[] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/** `numbers."+15551234567".voice`, `default.tools[1]`. */
function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(the file)';
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const name = String(seg);
      const quoted = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
      return i === 0 ? quoted : `.${quoted}`;
    })
    .join('');
}

function toRoutes(file: z.infer<ReturnType<typeof fileSchema>>, path: string): CallRoutes {
  const route = (key: string, r: RouteInput, number?: string): CallRoute => ({
    name: r.name ?? key,
    ...(number && { number }),
    agent: r.agent,
    ...(r.instructions && { instructions: r.instructions }),
    ...(r.greeting && { greeting: r.greeting }),
    ...(r.voice && { voice: r.voice }),
    ...(r.language && { language: r.language }),
    ...(r.tools && { tools: [...r.tools] }),
    ...(r.transfer_targets && { transferTargets: [...r.transfer_targets] }),
  });
  return {
    file: path,
    default: route('default', file.default),
    numbers: new Map(Object.entries(file.numbers).map(([n, r]) => [n, route(n, r, n)])),
  };
}
