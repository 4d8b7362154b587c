import { Redis } from 'ioredis';
import { DEFAULT_LEADER_LEASE_MS, type LeaderLease, type Leadership } from './leadership.js';

/**
 * Takes or renews, for ARGV[1] for ARGV[2] ms, each lease KEYS[2i-1] with its token counter
 * KEYS[2i]; answers one token per lease, or -1 where another owner holds it.
 */
const ACQUIRE = `
local tokens = {}
for index = 1, #KEYS, 2 do
  local holder = redis.call('GET', KEYS[index])
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[index], ARGV[2])
    tokens[#tokens + 1] = tonumber(redis.call('GET', KEYS[index + 1]) or '0')
  elseif holder then
    tokens[#tokens + 1] = -1
  else
    redis.call('SET', KEYS[index], ARGV[1], 'PX', ARGV[2])
    tokens[#tokens + 1] = redis.call('INCR', KEYS[index + 1])
  end
end
return tokens`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * {@link Leadership} on Redis: the lease is a key with an expiry (Redis's clock decides when it
 * ran out, not the replicas'), taken and renewed by one script for all of a replica's keys, so each check and its write are
 * one step; the fencing token is a counter beside it, incremented on every change of hands.
 */
export class RedisLeadership implements Leadership {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly leaseMs: number,
  ) {}

  static async open(options: { url: string; prefix?: string; leaseMs?: number }): Promise<RedisLeadership> {
    const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    return new RedisLeadership(redis, options.prefix ?? 'atb', options.leaseMs ?? DEFAULT_LEADER_LEASE_MS);
  }

  private keys(key: string): [string, string] {
    return [`${this.prefix}:leader:${key}`, `${this.prefix}:leader-token:${key}`];
  }

  async acquire(keys: readonly string[], owner: string): Promise<LeaderLease[]> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return [];
    const tokens = (await this.redis.eval(ACQUIRE, unique.length * 2, ...unique.flatMap((key) => this.keys(key)), owner, String(this.leaseMs))) as number[];
    return unique.flatMap((key, index) => (Number(tokens[index]) < 0 ? [] : [{ key, owner, token: Number(tokens[index]) }]));
  }

  async release(key: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys(key)[0], owner);
  }

  async leader(key: string): Promise<LeaderLease | undefined> {
    const [leaseKey, tokenKey] = this.keys(key);
    const [owner, token] = await this.redis.mget(leaseKey, tokenKey);
    return owner ? { key, owner, token: Number(token ?? 0) } : undefined;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
