import { Redis } from 'ioredis';
import { DEFAULT_LEADER_LEASE_MS, type LeaderLease, type Leadership } from './leadership.js';

/** Takes or renews KEYS[1] for ARGV[1] for ARGV[2] ms; answers the token, or -1 when another holds it. */
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
if holder then return -1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * {@link Leadership} on Redis: the lease is a key with an expiry (Redis's clock decides when it
 * ran out, not the replicas'), taken and renewed by a script so the check and the write are one
 * step; the fencing token is a counter beside it, incremented on every change of hands.
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

  async acquire(key: string, owner: string): Promise<LeaderLease | undefined> {
    const token = Number(await this.redis.eval(ACQUIRE, 2, ...this.keys(key), owner, String(this.leaseMs)));
    return token < 0 ? undefined : { key, owner, token };
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
