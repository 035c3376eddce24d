import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postOnce } from './post.js';
import {
  CallbackTargetRefused,
  checkCallbackUrl,
  isPublicAddress,
  resolveCallbackTarget,
  type CallbackPolicy,
  type Lookup,
} from './url-guard.js';

const strict: CallbackPolicy = { allowedHosts: ['hooks.example.com', '*.example.org'], allowInsecure: false };
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CallbackTargetRefused);
    return (err as Error).message;
  }
  return 'accepted';
};

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254', // cloud metadata
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1', // IPv4-mapped
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '2002:a00:1::1', // 6to4 of 10.0.0.1
    '2001:db8::1',
    'not-an-ip',
  ])('%s is not public', (ip) => expect(isPublicAddress(ip)).toBe(false));

  it.each(['8.8.8.8', '172.32.0.1', '192.169.0.1', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (ip) => expect(isPublicAddress(ip)).toBe(true),
  );
});

describe('checkCallbackUrl', () => {
  it('accepts https to an allowed host or subdomain of a wildcard', () => {
    expect(checkCallbackUrl('https://hooks.example.com/cb?x=1#frag', strict).href).toBe(
      'https://hooks.example.com/cb?x=1',
    );
    expect(checkCallbackUrl('https://a.b.example.org:8443/cb', strict).host).toBe('a.b.example.org:8443');
    expect(checkCallbackUrl('https://HOOKS.Example.COM/', strict).hostname).toBe('hooks.example.com');
  });

  it('refuses http, credentials, hosts off the list, and look-alikes', () => {
    expect(refusal(() => checkCallbackUrl('http://hooks.example.com/', strict))).toMatch(/must be https/);
    expect(refusal(() => checkCallbackUrl('ftp://hooks.example.com/', strict))).toMatch(/must be https/);
    expect(refusal(() => checkCallbackUrl('not a url', strict))).toMatch(/not a URL/);
    expect(refusal(() => checkCallbackUrl('https://u:p@hooks.example.com/', strict))).toMatch(/password/);
    expect(refusal(() => checkCallbackUrl('https://evil.com/', strict))).toMatch(/CALLBACK_ALLOWED_HOSTS/);
    expect(refusal(() => checkCallbackUrl('https://hooks.example.com.evil.com/', strict))).toMatch(
      /not in CALLBACK_ALLOWED_HOSTS/,
    );
    expect(refusal(() => checkCallbackUrl('https://example.org/', strict))).toMatch(/not in/); // apex
    expect(refusal(() => checkCallbackUrl('https://badexample.org/', strict))).toMatch(/not in/);
    // "@" tricks: the real host is what follows it.
    expect(refusal(() => checkCallbackUrl('https://hooks.example.com@evil.com/', strict))).toMatch(/./);
  });

  it('refuses private IP literals in every spelling, even when listed', () => {
    const listed: CallbackPolicy = {
      allowedHosts: ['127.0.0.1', '10.0.0.1', '[::1]', '::ffff:7f00:1', '169.254.169.254'],
      allowInsecure: false,
    };
    for (const url of [
      'https://127.0.0.1/',
      'https://2130706433/', // decimal 127.0.0.1
      'https://0x7f000001/', // hex
      'https://0177.0.0.1/', // octal
      'https://127.1/', // short form
      'https://167772161/', // decimal 10.0.0.1
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://169.254.169.254/latest/meta-data/',
    ]) {
      expect(
        refusal(() => checkCallbackUrl(url, listed)),
        url,
      ).toMatch(/not a public address/);
    }
  });

  it('with CALLBACK_ALLOW_INSECURE: http and loopback, still only listed hosts', () => {
    const dev: CallbackPolicy = { allowedHosts: ['127.0.0.1'], allowInsecure: true };
    expect(checkCallbackUrl('http://127.0.0.1:9999/cb', dev).port).toBe('9999');
    expect(checkCallbackUrl('http://2130706433/cb', dev).hostname).toBe('127.0.0.1');
    expect(refusal(() => checkCallbackUrl('http://localhost/', dev))).toMatch(/not in/);
  });
});

describe('resolveCallbackTarget', () => {
  const answers =
    (map: Record<string, string[]>): Lookup =>
    async (host) =>
      (map[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('connects to the address it checked', async () => {
    const { target } = await resolveCallbackTarget(
      'https://hooks.example.com/cb',
      strict,
      answers({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] }),
    );
    expect(target).toEqual({ address: '93.184.216.34', family: 4 });
  });

  it('refuses a name that resolves to a private address, or to one among public ones', async () => {
    await expect(
      resolveCallbackTarget(
        'https://hooks.example.com/',
        strict,
        answers({ 'hooks.example.com': ['10.0.0.5'] }),
      ),
    ).rejects.toThrow(/resolves to 10\.0\.0\.5, not public/);
    await expect(
      resolveCallbackTarget(
        'https://x.example.org/',
        strict,
        answers({ 'x.example.org': ['93.184.216.34', '::ffff:169.254.169.254'] }),
      ),
    ).rejects.toThrow(CallbackTargetRefused);
    await expect(resolveCallbackTarget('https://hooks.example.com/', strict, answers({}))).rejects.toThrow(
      /does not resolve/,
    );
  });
});

describe('postOnce', () => {
  it('connects to the pinned address whatever the name resolves to, and does not follow redirects', async () => {
    const seen: { host?: string; path?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ host: req.headers.host, path: req.url });
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      // The name does not exist in DNS: only the pinned address can make this connect.
      const status = await postOnce({
        url: new URL(`http://callback.invalid:${port}/cb`),
        target: { address: '127.0.0.1', family: 4 },
        headers: {},
        body: '{}',
        timeoutMs: 5000,
      });
      expect(status).toBe(302);
      expect(seen).toEqual([{ host: `callback.invalid:${port}`, path: '/cb' }]);
    } finally {
      server.close();
    }
  });
});
