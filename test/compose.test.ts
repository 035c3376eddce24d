// docker compose cannot run on the CI machine (no Docker engine), so the compose file is checked
// structurally here, and by docker-compose's own validator where that package is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, unknown>>;
  networks?: Record<string, unknown>;
};
const livekitYaml = parse(readFileSync(join(root, 'livekit.yaml'), 'utf8')) as Record<string, unknown>;
const envExample = readFileSync(join(root, '.env.example'), 'utf8');

function env(service: string): Record<string, string> {
  return compose.services[service]!.environment as Record<string, string>;
}

describe('docker-compose.yml', () => {
  it('runs livekit, redis, bridge and agent', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['agent', 'bridge', 'livekit', 'redis']);
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

  it('keeps the agent scalable (no fixed ports or container name) and health-checks every service', () => {
    const agent = compose.services.agent!;
    expect(agent.ports).toBeUndefined();
    expect(agent.container_name).toBeUndefined();
    for (const name of Object.keys(compose.services)) {
      expect(compose.services[name]!.healthcheck, `${name} healthcheck`).toBeDefined();
    }
  });

  it('takes every interpolated variable from .env (documented in .env.example)', () => {
    const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    const vars = new Set([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    const optionalDeploymentKnobs = new Set([
      'NODE_IP',
      'BRIDGE_PORT',
      'AGENT_REPLICAS',
      'MAX_CONCURRENT_CALLS',
      'MAX_CALLS_PER_WORKER',
      'TRANSFER_ALLOWLIST',
      'LOG_LEVEL',
      'STREAM_TOKEN_SECRET',
    ]);
    for (const v of vars) {
      if (optionalDeploymentKnobs.has(v)) continue;
      expect(envExample, `${v} in .env.example`).toMatch(new RegExp(`^${v}=`, 'm'));
    }
  });

  it('is accepted by docker-compose config where docker-compose is installed', () => {
    if (spawnSync('sh', ['-c', 'command -v docker-compose']).status !== 0) return;
    execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], { cwd: root });
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
