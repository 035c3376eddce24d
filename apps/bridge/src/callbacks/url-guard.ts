/**
 * Where the bridge may POST a call's result. The bridge must not become a way into the network it
 * runs in, so a callback URL is https, its host is on CALLBACK_ALLOWED_HOSTS, and every address
 * the host resolves to is a public unicast one; delivery then connects to the address that was
 * checked (never resolving again, so DNS rebinding cannot swap it). `CALLBACK_ALLOW_INSECURE`
 * (refused in production) lifts the https and address rules, for tests and local development.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface CallbackPolicy {
  /** Host names (`hooks.example.com`), wildcards (`*.example.com`: any subdomain) or IP literals. */
  allowedHosts: readonly string[];
  /** http, and loopback/private/link-local addresses: tests and local development only. */
  allowInsecure: boolean;
}

/** A callback target refused: the message says which rule, for the API caller or the record. */
export class CallbackTargetRefused extends Error {
  override name = 'CallbackTargetRefused';
}

/** Addresses that are not public unicast: loopback, private, link-local, CGNAT, documentation, multicast, … */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback and IPv4-compatible addresses
  ['64:ff9b::', 96], // NAT64: may embed a private IPv4 address
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** Whether an IP address is public unicast. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as IPv4. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => {
    const e = bare(entry);
    return e.startsWith('*.') ? host.endsWith(e.slice(1)) && host.length > e.length - 1 : host === e;
  });
}

/**
 * The checks that need no DNS, run when `POST /api/calls` names a callback URL: scheme, no
 * credentials, host on the allow-list, and an IP literal host (in any spelling: the URL parser turns
 * `2130706433`, `0x7f.1` or `[::ffff:127.0.0.1]` into the canonical form first) public.
 */
export function checkCallbackUrl(raw: string, policy: CallbackPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CallbackTargetRefused('callback_url is not a URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowInsecure && url.protocol === 'http:'))
    throw new CallbackTargetRefused('callback_url must be https');
  if (url.username || url.password)
    throw new CallbackTargetRefused('callback_url must not carry a user name or password');
  const host = bare(url.hostname);
  if (!hostAllowed(host, policy.allowedHosts))
    throw new CallbackTargetRefused(`callback_url host ${host} is not in CALLBACK_ALLOWED_HOSTS`);
  if (isIP(host) && !policy.allowInsecure && !isPublicAddress(host))
    throw new CallbackTargetRefused(`callback_url host ${host} is not a public address`);
  url.hash = '';
  return url;
}

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * The address to connect to: the URL is checked again (the allow-list may have changed since the
 * request), the host resolved, and every address it resolves to must be public — one private
 * answer among public ones refuses the target, so a rebinding resolver gains nothing by mixing.
 */
export async function resolveCallbackTarget(
  raw: string,
  policy: CallbackPolicy,
  lookup: Lookup = systemLookup,
): Promise<{ url: URL; target: ResolvedTarget }> {
  const url = checkCallbackUrl(raw, policy);
  const host = bare(url.hostname);
  const literal = isIP(host);
  const answers = literal ? [{ address: host, family: literal }] : await lookup(host).catch(() => []);
  if (answers.length === 0) throw new CallbackTargetRefused(`callback host ${host} does not resolve`);
  if (!policy.allowInsecure) {
    const bad = answers.find((a) => !isPublicAddress(a.address));
    if (bad) throw new CallbackTargetRefused(`callback host ${host} resolves to ${bad.address}, not public`);
  }
  const first = answers[0]!;
  return { url, target: { address: first.address, family: first.family === 6 ? 6 : 4 } };
}
