// `.env.example` and the apps' README tables list every setting, as the project promises
// ("configuration from the environment: every setting in .env.example and the app README"). The
// setting names come from the apps' zod env schemas (the one declaration of each setting), so a new
// setting without documentation, a documented one no app reads, or a default shown in
// .env.example or docker-compose.yml that the code does not have, fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type * as AgentConfigModule from '../apps/agent/src/config.js';
import type * as BridgeConfigModule from '../apps/bridge/src/config.js';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Read by something other than the apps' config, and explained in .env.example. */
const INFRASTRUCTURE = new Set([
  // glibc, in the bridge process (its Dockerfile sets it).
  'MALLOC_ARENA_MAX',
]);

type App = 'bridge' | 'agent';
interface FieldSchema {
  safeParse(value: unknown): { success: boolean; data?: unknown };
}

interface Entry {
  name: string;
  /** Text after `=`; empty means unset (both apps treat an empty variable as unset). */
  value: string;
  commented: boolean;
  /** The comment lines directly above the setting (after the previous setting or a blank line). */
  comment: string[];
}

/** The settings `.env.example` shows, as `NAME=value` or commented out as `# NAME=value`. */
function parseEnvExample(text: string): Entry[] {
  const entries: Entry[] = [];
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    const setting = /^(# ?)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (setting) {
      entries.push({ name: setting[2]!, value: setting[3]!, commented: Boolean(setting[1]), comment });
      comment = [];
    } else if (line.startsWith('#') && !/^# ---.*---$/.test(line)) {
      comment.push(line);
    } else {
      comment = [];
    }
  }
  return entries;
}

/** The backticked variable names in the first column of a README's configuration table. */
function readmeSettings(text: string): Set<string> {
  const section = /^## Configuration.*$([\s\S]*?)(?=^## )/m.exec(text)?.[1] ?? '';
  const names = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
  return new Set(names);
}

/** `${NAME:-fallback}` (or `${NAME}`) interpolations in docker-compose.yml. */
function composeInterpolations(text: string): { name: string; fallback: string | undefined }[] {
  return [...text.matchAll(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g)].map((m) => ({
    name: m[1]!,
    fallback: m[2],
  }));
}

const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection'];
const listenerCounts = () => PROCESS_EVENTS.map((e) => process.listenerCount(e));

let bridge: typeof BridgeConfigModule;
let agent: typeof AgentConfigModule;
let importEffects: { listeners: [number[], number[]]; env: [string, string] };

beforeAll(async () => {
  // Imported here rather than at the top, to see what importing them does to the process.
  const listeners = listenerCounts();
  const env = JSON.stringify(process.env);
  bridge = await import('../apps/bridge/src/config.js');
  agent = await import('../apps/agent/src/config.js');
  importEffects = { listeners: [listeners, listenerCounts()], env: [env, JSON.stringify(process.env)] };
});

const schemaOf = (app: App) =>
  (app === 'bridge' ? bridge.EnvSchema.shape : agent.envSchema.shape) as unknown as Record<
    string,
    FieldSchema
  >;
const settingsOf = (app: App) => (app === 'bridge' ? bridge.BRIDGE_SETTINGS : agent.AGENT_SETTINGS);
const readersOf = (name: string): App[] =>
  (['bridge', 'agent'] as const).filter((app) => settingsOf(app).includes(name));

/** The default the schema gives an unset variable; undefined when it has none. */
function defaultOf(app: App, name: string): unknown {
  const parsed = schemaOf(app)[name]!.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

describe('the config modules', () => {
  it('export their settings and have no side effects when imported', () => {
    expect(bridge.BRIDGE_SETTINGS).toEqual(Object.keys(bridge.EnvSchema.shape));
    expect(agent.AGENT_SETTINGS).toEqual(Object.keys(agent.envSchema.shape));
    expect(bridge.BRIDGE_SETTINGS.length).toBeGreaterThan(30);
    expect(agent.AGENT_SETTINGS.length).toBeGreaterThan(25);
    const [listenersBefore, listenersAfter] = importEffects.listeners;
    expect(listenersAfter, `process listeners (${PROCESS_EVENTS.join(', ')})`).toEqual(listenersBefore);
    const [envBefore, envAfter] = importEffects.env;
    expect(JSON.parse(envAfter) as unknown, 'process.env').toEqual(JSON.parse(envBefore) as unknown);
  });
});

describe('.env.example', () => {
  const entries = parseEnvExample(read('.env.example'));
  const composeText = read('docker-compose.yml');
  const compose = composeInterpolations(composeText);

  const allSettings = () => [...new Set([...bridge.BRIDGE_SETTINGS, ...agent.AGENT_SETTINGS])];
  /** Variables only docker-compose.yml interpolates (NODE_IP, BRIDGE_PORT, …), not the apps. */
  const composeOnly = () =>
    new Set(compose.map((c) => c.name).filter((name) => readersOf(name).length === 0));

  it('lists every setting of both apps, once', () => {
    const shown = entries.map((e) => e.name);
    expect(allSettings().filter((name) => !shown.includes(name))).toEqual([]);
    expect(shown.filter((name, i) => shown.indexOf(name) !== i)).toEqual([]);
  });

  it('names no variable that neither app, docker-compose.yml nor the documented infrastructure reads', () => {
    const known = new Set([...allSettings(), ...composeOnly(), ...INFRASTRUCTURE]);
    expect(entries.map((e) => e.name).filter((name) => !known.has(name))).toEqual([]);
  });

  it('lists every variable docker-compose.yml interpolates', () => {
    const shown = new Set(entries.map((e) => e.name));
    expect([...new Set(compose.map((c) => c.name))].filter((name) => !shown.has(name))).toEqual([]);
  });

  it('comments each setting and names the service(s) that read it in brackets', () => {
    const wrong = entries.flatMap((e) => {
      const readers = readersOf(e.name);
      if (readers.length === 0) return e.comment.length > 0 ? [] : [`${e.name}: no comment`];
      const tags = new Set(
        e.comment.flatMap((line) => [...line.matchAll(/\((bridge, agent|bridge|agent)\)/g)].map((m) => m[1])),
      );
      const expected = readers.join(', ');
      return tags.size === 1 && tags.has(expected)
        ? []
        : [
            `${e.name}: want (${expected}), comment has ${[...tags].map((t) => `(${t})`).join(' ') || 'none'}`,
          ];
    });
    expect(wrong).toEqual([]);
  });

  it("shows each app's default as the value, where the code has a default", () => {
    const wrong = entries.flatMap((e) => {
      if (e.value === '') return [];
      return readersOf(e.name).flatMap((app) => {
        const fallback = defaultOf(app, e.name);
        if (fallback === undefined) return [];
        const shown = schemaOf(app)[e.name]!.safeParse(e.value);
        return shown.success && JSON.stringify(shown.data) === JSON.stringify(fallback)
          ? []
          : [`${e.name}=${e.value}: the ${app} default is ${JSON.stringify(fallback)}`];
      });
    });
    expect(wrong).toEqual([]);
  });

  it('agrees with the fallbacks in docker-compose.yml (`${NAME:-value}`)', () => {
    const shown = new Map(entries.map((e) => [e.name, e.value]));
    const wrong = compose.flatMap(({ name, fallback }) => {
      const value = shown.get(name);
      if (!fallback || !value) return [];
      return fallback === value
        ? []
        : [`${name}: docker-compose.yml falls back to ${fallback}, .env.example shows ${value}`];
    });
    expect(wrong).toEqual([]);
  });
});

describe('the app READMEs', () => {
  for (const app of ['bridge', 'agent'] as const) {
    it(`apps/${app}/README.md lists every ${app} setting in its configuration table, and no other`, () => {
      const documented = readmeSettings(read(`apps/${app}/README.md`));
      expect(settingsOf(app).filter((name) => !documented.has(name))).toEqual([]);
      expect([...documented].filter((name) => !settingsOf(app).includes(name))).toEqual([]);
    });
  }
});

/**
 * Settings docker-compose.yml does not pass on, each for a reason of the container: the image sets
 * it (NODE_ENV=production in both Dockerfiles; passing an empty one would turn production off), the
 * container fixes it (where to listen, where the console's files are), or every replica needs its
 * own value (a bridge instance id shared by `--scale` replicas would mix up their records).
 */
const NOT_IN_COMPOSE: Record<App, Set<string>> = {
  bridge: new Set(['NODE_ENV', 'HOST', 'CONSOLE_DIR', 'BRIDGE_INSTANCE_ID']),
  agent: new Set(['NODE_ENV', 'HEALTH_HOST']),
};

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, unknown> }>;
  };

  it.each(['bridge', 'agent'] as const)('passes every setting the %s reads to its service', (app) => {
    const passed = new Set(Object.keys(compose.services[app]!.environment ?? {}));
    expect(settingsOf(app).filter((name) => !passed.has(name) && !NOT_IN_COMPOSE[app].has(name))).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('parse set and commented settings with the comment above them', () => {
    const parsed = parseEnvExample(
      [
        '# --- A (bridge) ---',
        '# What A does. (bridge)',
        'A=1',
        '# B. (agent)',
        '# B=',
        '',
        '# stray',
        '',
        'C=x',
      ].join('\n'),
    );
    expect(parsed).toEqual([
      { name: 'A', value: '1', commented: false, comment: ['# What A does. (bridge)'] },
      { name: 'B', value: '', commented: true, comment: ['# B. (agent)'] },
      { name: 'C', value: 'x', commented: false, comment: [] },
    ]);
  });

  it("read a README table's first column, pairs included, and nothing outside the section", () => {
    const readme = [
      '## Configuration',
      '| variable | default | meaning |',
      '| `PORT` / `HOST` | `8080` | mentions `OTHER` |',
      '## Next',
      '| `NOT_THIS` | | |',
    ].join('\n');
    expect([...readmeSettings(readme)]).toEqual(['PORT', 'HOST']);
  });

  it('catch a default that differs from the code (the old OPENAI_VOICE=alloy)', () => {
    expect(schemaOf('agent').OPENAI_VOICE!.safeParse('alloy').data).not.toEqual(
      defaultOf('agent', 'OPENAI_VOICE'),
    );
    expect(defaultOf('agent', 'MAX_CALLS_PER_WORKER')).toBe(8);
  });
});
