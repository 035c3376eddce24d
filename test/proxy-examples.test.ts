// The reverse proxy examples (examples/, docs/console.md) against what the bridge serves: the
// Media Streams WebSocket is upgraded, the SSE streams are not buffered, and the Host header the
// bridge's cross-site check compares with Origin reaches it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/bridge/src/config.js';

const root = join(import.meta.dirname, '..');
const read = (name: string) => readFileSync(join(root, 'examples', name), 'utf8');
const mediaPath = new URL(loadConfig({ TWILIO_AUTH_TOKEN: 'token' }).streamUrl).pathname;
const SSE_PATHS = ['/api/operator/calls/live', `/api/calls/CA${'0'.repeat(32)}/events`];

/** nginx `location` blocks: their argument and body (the example has no nested blocks in them). */
function locations(conf: string): { arg: string; body: string }[] {
  return [...conf.matchAll(/location\s+([^{]+?)\s*\{([^}]*)\}/g)].map((m) => ({ arg: m[1]!, body: m[2]! }));
}

/** The nginx location that serves `path`: exact match, then the first regex, then the longest prefix. */
function served(conf: string, path: string) {
  const all = locations(conf).filter((l) => l.body.includes('callbridge_bridge'));
  const exact = all.find((l) => l.arg === `= ${path}`);
  if (exact) return exact;
  const regex = all.find((l) => l.arg.startsWith('~ ') && new RegExp(l.arg.slice(2)).test(path));
  if (regex) return regex;
  return all
    .filter((l) => !/^[=~]/.test(l.arg) && path.startsWith(l.arg))
    .sort((a, b) => b.arg.length - a.arg.length)[0];
}

describe('examples/nginx-callbridge.conf', () => {
  const conf = read('nginx-callbridge.conf');

  it('upgrades the Media Streams WebSocket and keeps it open for a call', () => {
    expect(mediaPath).toBe('/twilio/media');
    const ws = served(conf, mediaPath)!.body;
    expect(ws).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(ws).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(ws).toMatch(/proxy_read_timeout \d+h;/);
  });

  it('passes the SSE streams unbuffered', () => {
    for (const path of SSE_PATHS) expect(served(conf, path)!.body, path).toContain('proxy_buffering off;');
    expect(served(conf, '/api/calls')!.body).not.toContain('proxy_buffering off;');
  });

  it('passes the Host header on every bridge location, over HTTP/1.1', () => {
    const bridge = locations(conf).filter((l) => l.body.includes('callbridge_bridge'));
    expect(bridge.length).toBeGreaterThanOrEqual(4);
    for (const l of bridge) {
      expect(l.body, l.arg).toContain('proxy_set_header Host $host;');
      expect(l.body, l.arg).toContain('proxy_http_version 1.1;');
    }
  });
});

describe('examples/Caddyfile', () => {
  it('proxies to the bridge and flushes every event at once', () => {
    const caddy = read('Caddyfile');
    expect(caddy).toMatch(/reverse_proxy 127\.0\.0\.1:8080 \{[^}]*flush_interval -1/);
    // Caddy passes Host and WebSocket upgrades itself: nothing may override them.
    expect(caddy).not.toMatch(/header_up\s+Host/);
  });
});
