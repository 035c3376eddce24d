import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeDispatchFields, routeForNumber, routeNamed, routeOfCall, routeOfEntry } from './call-routes.js';
import { loadRoutesFile, parseRoutes, RoutesFileError } from './routes-file.js';

const opts = { transferAllowlist: ['+15550109999', '+15550108888'] };

/** The message a bad file is refused with. */
function refusal(text: string, allow = opts): string {
  try {
    parseRoutes(text, '/etc/callbridge/routes.yaml', allow);
  } catch (err) {
    expect(err).toBeInstanceOf(RoutesFileError);
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

const GOOD = `# two lines, one persona each
default:
  agent: callbridge-agent
numbers:
  "+15550100001":
    name: sales
    agent: sales-agent
    instructions: You sell.
    greeting: Welcome to sales.
    voice: cedar
    language: es
    tools: [check_eligibility]
    transfer_targets: ["+15550109999"]
  "+15550100002":
    agent: support-agent
`;

describe('the routes file', () => {
  it('maps numbers to routes, with the default for the rest', () => {
    const routes = parseRoutes(GOOD, 'routes.yaml', opts);
    const sales = routeForNumber(routes, '+15550100001');
    expect(sales).toEqual({
      name: 'sales',
      number: '+15550100001',
      agent: 'sales-agent',
      instructions: 'You sell.',
      greeting: 'Welcome to sales.',
      voice: 'cedar',
      language: 'es',
      tools: ['check_eligibility'],
      transferTargets: ['+15550109999'],
    });
    expect(routeForNumber(routes, '+15550100002')).toMatchObject({
      name: '+15550100002',
      agent: 'support-agent',
    });
    expect(routeForNumber(routes, '+15550100003')).toEqual({ name: 'default', agent: 'callbridge-agent' });
    // Outbound requests name a route by its name, its number or "default".
    expect(routeNamed(routes, 'sales')).toBe(sales);
    expect(routeNamed(routes, '+15550100001')).toBe(sales);
    expect(routeNamed(routes, 'default')).toBe(routes.default);
    expect(routeNamed(routes, 'nope')).toBeUndefined();
    expect(routeDispatchFields(sales)).toEqual({
      route: 'sales',
      persona: 'You sell.',
      greeting: 'Welcome to sales.',
      voice: 'cedar',
      language: 'es',
      tools: ['check_eligibility'],
      transferTargets: ['+15550109999'],
    });
  });

  it('picks a call’s route: by the number called, the caller ID, or the one an outbound request named', () => {
    const routes = parseRoutes(GOOD, 'routes.yaml', opts);
    const sales = routes.numbers.get('+15550100001')!;
    const support = routes.numbers.get('+15550100002')!;
    const inbound = { direction: 'inbound', from: '+15551234567', to: '+15550100001' } as const;
    const outbound = { direction: 'outbound', from: '+15550100002', to: '+15551234567' } as const;
    expect(routeOfCall(routes, inbound)).toBe(sales);
    expect(routeOfCall(routes, outbound)).toBe(support);
    expect(routeOfCall(routes, outbound, 'sales')).toBe(sales);
    expect(routeOfCall(routes, { ...outbound, from: '+15550100009' })).toBe(routes.default);
    // A call another bridge answered (adopted without its route) gets the route of its numbers.
    expect(routeOfEntry(routes, inbound)).toBe(sales);
    expect(routeOfEntry(routes, { ...inbound, route: support })).toBe(support);
    expect(routeOfEntry(undefined, inbound)).toBeUndefined();
  });

  it('reads JSON too', () => {
    const json = JSON.stringify({ default: { agent: 'a' }, numbers: { '+15550100001': { agent: 'b' } } });
    expect(routeForNumber(parseRoutes(json, 'routes.json', opts), '+15550100001').agent).toBe('b');
  });

  it('names the file, the line and the field of a bad value', () => {
    const bad = GOOD.replace('voice: cedar', 'voice: robot');
    const message = refusal(bad);
    expect(message).toContain('ROUTES_FILE /etc/callbridge/routes.yaml is invalid');
    expect(message).toMatch(/routes\.yaml line 10: numbers\."\+15550100001"\.voice: .*alloy.*marin/);
  });

  it('refuses unknown tool names, with the line of the tool', () => {
    const message = refusal(
      GOOD.replace('tools: [check_eligibility]', 'tools:\n      - check_eligibility\n      - book_table'),
    );
    expect(message).toMatch(
      /routes\.yaml line 14: numbers\."\+15550100001"\.tools\[1\]: .*check_eligibility/,
    );
  });

  it('refuses a number listed twice, at its second line', () => {
    const message = refusal(`${GOOD}  "+15550100001":\n    agent: again\n`);
    expect(message).toMatch(/routes\.yaml line 16: listed twice/);
  });

  it('refuses numbers that are not E.164, and says to quote an unquoted one', () => {
    const message = refusal(
      GOOD.replace('"+15550100002":', '"555-0100":').concat('  +15550100003:\n    agent: c\n'),
    );
    expect(message).toMatch(/routes\.yaml line 14: numbers\."555-0100": must be an E\.164 number/);
    expect(message).toMatch(/routes\.yaml line 16: numbers\.15550100003: quote the number/);
    expect(message).not.toMatch(/"15550100003"/);
  });

  it('refuses a missing agent, an unknown field and a misspelt language, each on its line', () => {
    const message = refusal(
      GOOD.replace('    agent: support-agent\n', '    greting: Hi\n').replace(
        'language: es',
        'language: Spanish',
      ),
    );
    expect(message).toMatch(/line 11: numbers\."\+15550100001"\.language: must be an ISO 639-1/);
    expect(message).toMatch(/line 14: numbers\."\+15550100002"\.agent: is required/);
    expect(message).toMatch(/line 15: numbers\."\+15550100002"\.greting: unknown field/);
  });

  it('refuses transfer targets outside TRANSFER_ALLOWLIST (a route narrows it)', () => {
    const message = refusal(GOOD, { transferAllowlist: ['+15550108888'] });
    expect(message).toMatch(
      /line 13: numbers\."\+15550100001"\.transfer_targets\[0\]: \+15550109999 is not in TRANSFER_ALLOWLIST/,
    );
  });

  it('refuses two routes with one name, a file without a default, and YAML that does not parse', () => {
    expect(
      refusal(GOOD.replace('    agent: support-agent', '    name: sales\n    agent: support-agent')),
    ).toMatch(
      /line 15: numbers\."\+15550100002"\.name: "sales" is already the name of numbers\.\+15550100001/,
    );
    expect(refusal('numbers: {}\n')).toMatch(/routes\.yaml line 1: default: /);
    expect(refusal('default:\n  agent: [a\n')).toMatch(/routes\.yaml line \d+: /);
  });

  it('accepts the example file', () => {
    const example = new URL('../../../../examples/routes.example.yaml', import.meta.url);
    const routes = loadRoutesFile(example.pathname, { transferAllowlist: ['+15550109001'] });
    expect(routes.numbers.get('+15550100002')).toMatchObject({ name: 'clinic', language: 'es' });
  });

  it('says so when the file cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routes-'));
    expect(() => loadRoutesFile(join(dir, 'missing.yaml'), opts)).toThrow(
      /ROUTES_FILE .*missing\.yaml cannot be read/,
    );
    writeFileSync(join(dir, 'routes.yaml'), GOOD);
    expect(loadRoutesFile(join(dir, 'routes.yaml'), opts).numbers.size).toBe(2);
  });
});
