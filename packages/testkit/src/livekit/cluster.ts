/**
 * Several real livekit-server nodes sharing one real redis-server: LiveKit's multi-node mode
 * (https://docs.livekit.io/home/self-hosting/distributed/). Every node has its own ports, the same
 * key pair, `rtc.node_ip: 127.0.0.1` and `redis: address:`. A client may connect to any node: the
 * room lives on the node the node selector picked when it was created (Redis hash `room_node_map`),
 * and a node that does not host the room relays the client's signal connection to the one that
 * does over Redis; media goes straight to the hosting node (its ICE candidates).
 */
import { randomBytes } from 'node:crypto';
import { hashReply, startRedis, type RedisServer } from '../redis/index.js';
import { startLiveKitServer, type LiveKitServer, type StartLiveKitOptions } from './server.js';

export interface LiveKitNode extends LiveKitServer {
  /** The node's id (`ND_…`), as livekit-server registers it in Redis. */
  nodeId: string;
  /** SIGKILL, as a crashed machine: no draining, no goodbye to Redis. */
  kill(): Promise<void>;
}

export interface LiveKitCluster {
  redis: RedisServer;
  nodes: LiveKitNode[];
  apiKey: string;
  apiSecret: string;
  /** Room name → id of the node hosting it (Redis `room_node_map`, what the router reads). */
  roomNodes(): Promise<Record<string, string>>;
  /** Index in `nodes` of the node hosting `room`, or -1. */
  nodeOf(room: string): Promise<number>;
  stop(): Promise<void>;
}

export interface StartLiveKitClusterOptions {
  /** How many nodes; default 2. */
  nodes?: number;
  /** Extra YAML for every node's config (after the redis block). */
  extraConfig?: string;
  binary?: StartLiveKitOptions['binary'];
}

/** Waits until livekit-server has registered itself in Redis and returns its node id. */
async function registeredNodeId(
  redis: RedisServer,
  known: Set<string>,
  node: LiveKitServer,
): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ids = Object.keys(hashReply(await redis.command('HGETALL', 'nodes'))).filter(
      (id) => !known.has(id),
    );
    if (ids.length === 1) return ids[0]!;
    if (ids.length > 1) throw new Error(`more than one new LiveKit node in Redis: ${ids.join(', ')}`);
    if (Date.now() > deadline) throw new Error(`livekit-server did not register in Redis:\n${node.logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startLiveKitCluster(opts: StartLiveKitClusterOptions = {}): Promise<LiveKitCluster> {
  const redis = await startRedis();
  const keys = {
    apiKey: `API${randomBytes(6).toString('hex')}`,
    apiSecret: randomBytes(32).toString('base64url'),
  };
  const nodes: LiveKitNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  };
  try {
    const known = new Set<string>();
    // One at a time, so each node's id is the one new entry in Redis.
    for (let i = 0; i < (opts.nodes ?? 2); i++) {
      const server = await startLiveKitServer({
        binary: opts.binary,
        keys,
        extraConfig: ['redis:', `  address: ${redis.address}`, opts.extraConfig ?? ''].join('\n'),
      });
      const node: LiveKitNode = {
        ...server,
        nodeId: '',
        kill: async () => {
          try {
            process.kill(server.pid, 'SIGKILL');
          } catch {
            // already gone
          }
          await server.stop();
        },
      };
      nodes.push(node);
      node.nodeId = await registeredNodeId(redis, known, server);
      known.add(node.nodeId);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const roomNodes = async () => hashReply(await redis.command('HGETALL', 'room_node_map'));
  return {
    redis,
    nodes,
    ...keys,
    roomNodes,
    async nodeOf(room) {
      const id = (await roomNodes())[room];
      return nodes.findIndex((n) => n.nodeId === id);
    },
    stop,
  };
}
