export { startRedis, resolveRedisBinary, type RedisServer } from './server.js';
export { redisCommand, hashReply, type RedisReply } from './resp.js';
