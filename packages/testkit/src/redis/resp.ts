/**
 * Just enough of the Redis protocol (RESP2, https://redis.io/docs/latest/develop/reference/protocol-spec/)
 * for tests to read what livekit-server keeps in Redis: one command per connection, replies parsed
 * into strings, integers, nulls and arrays.
 */
import { connect } from 'node:net';

export type RedisReply = string | number | null | RedisReply[];

function encode(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** Parses one reply at `at`; undefined while the buffer holds only part of it. */
function parse(buf: Buffer, at: number): { value: RedisReply; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol === -1) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      throw new Error(`redis: ${line}`);
    case ':':
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return undefined;
      // Binary values (livekit-server stores protobuf) come back as latin1 so no byte is lost.
      return { value: buf.toString('latin1', eol + 2, eol + 2 + len), next: eol + 2 + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: eol + 2 };
      const items: RedisReply[] = [];
      let next = eol + 2;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** Sends one command to the Redis server on 127.0.0.1:`port` and resolves with its reply. */
export function redisCommand(port: number, args: string[], timeoutMs = 2_000): Promise<RedisReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`redis: no reply to ${args[0]} in ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const reply = parse(buf, 0);
        if (!reply) return;
        socket.end();
        resolve(reply.value);
      } catch (err) {
        fail(err as Error);
      }
    });
    socket.write(encode(args));
  });
}

/** A HGETALL reply as an object. */
export function hashReply(reply: RedisReply): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
