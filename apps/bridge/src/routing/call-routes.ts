/**
 * Which persona answers a call: the routes of ROUTES_FILE (docs/routing.md), looked up by the number
 * called (inbound), or by the route an outbound request names or its caller ID (outbound), with the
 * file's `default` for everything else. Without a routes file every call takes AGENT_NAME's agent
 * and the worker's own settings, as before routing existed.
 */
import { maskPhoneNumber, type PersonaFields } from '@callbridge/room-contract';

export interface CallRoute {
  /** The route's `name`, or its key (`default` or the E.164 number): recorded on the call. */
  name: string;
  /** The number this route answers (absent for `default`). */
  number?: string;
  /** The LiveKit agent name dispatched into the call's room. */
  agent: string;
  instructions?: string;
  greeting?: string;
  voice?: string;
  language?: string;
  tools?: string[];
  /** The numbers calls on this route may be transferred to; absent: all of TRANSFER_ALLOWLIST. */
  transferTargets?: string[];
}

export interface CallRoutes {
  /** The file the routes were read from, for logs. */
  file: string;
  default: CallRoute;
  /** By E.164 number. */
  numbers: ReadonlyMap<string, CallRoute>;
}

/** The route of a call to `to` (inbound) or from `ourNumber` (outbound): its number's, else default. */
export function routeForNumber(routes: CallRoutes, ourNumber: string): CallRoute {
  return routes.numbers.get(ourNumber) ?? routes.default;
}

/**
 * The route of a call: the one its outbound request named (`requested`, kept on its record), else
 * the route of our number on the call (`to` inbound, the caller ID `from` outbound), else default.
 */
export function routeOfCall(
  routes: CallRoutes,
  call: { direction: 'inbound' | 'outbound'; from: string; to: string },
  requested?: string,
): CallRoute {
  const named = requested === undefined ? undefined : routeNamed(routes, requested);
  return named ?? routeForNumber(routes, call.direction === 'inbound' ? call.to : call.from);
}

/**
 * The route of a call in the registry: the one its webhook chose, else (a call this instance did not
 * answer, e.g. adopted from another bridge) the route of its numbers.
 */
export function routeOfEntry(
  routes: CallRoutes | undefined,
  call: { route?: CallRoute; direction: 'inbound' | 'outbound'; from: string; to: string },
): CallRoute | undefined {
  return call.route ?? (routes && routeOfCall(routes, call));
}

/** The route an outbound request names: by `name`, by number key, or `default`; undefined if none. */
export function routeNamed(routes: CallRoutes, name: string): CallRoute | undefined {
  if (name === routes.default.name || name === 'default') return routes.default;
  const byNumber = routes.numbers.get(name);
  if (byNumber) return byNumber;
  for (const route of routes.numbers.values()) if (route.name === name) return route;
  return undefined;
}

/** Every name `routeNamed` accepts, for an error message. */
export function routeNames(routes: CallRoutes): string[] {
  const names = new Set(['default', routes.default.name]);
  for (const [number, route] of routes.numbers) names.add(route.name === number ? number : route.name);
  return [...names];
}

/** What a route adds to the dispatch metadata (the request's own fields are spread over it). */
export function routeDispatchFields(route: CallRoute | undefined): PersonaFields & { voice?: string } {
  if (!route) return {};
  const out: PersonaFields & { voice?: string } = { route: route.name };
  if (route.instructions) out.persona = route.instructions;
  if (route.greeting) out.greeting = route.greeting;
  if (route.voice) out.voice = route.voice;
  if (route.language) out.language = route.language;
  if (route.tools) out.tools = route.tools;
  if (route.transferTargets) out.transferTargets = route.transferTargets;
  return out;
}

/** The numbers a call on `route` may be transferred to: its `transfer_targets`, else TRANSFER_ALLOWLIST. */
export function transferTargetsFor(
  route: CallRoute | undefined,
  allowlist: readonly string[],
): readonly string[] {
  return route?.transferTargets ?? allowlist;
}

/** A route's name for logs: a route named by its number shows it masked, as every number in logs. */
export function routeForLog(route: CallRoute | undefined): string | undefined {
  if (!route) return undefined;
  return route.name === route.number ? maskPhoneNumber(route.name) : route.name;
}
