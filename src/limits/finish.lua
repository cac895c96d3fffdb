-- Finish: release the concurrency lease, count tokens and spend of one request.
-- Called by redis-store.ts with EVALSHA.
local now = tonumber(ARGV[1])
local tokens = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local seed = tonumber(ARGV[6])
if ARGV[5] ~= '' then
  redis.call('ZREM', KEYS[2], ARGV[5])
end
if tokens > 0 then
  local second = string.format('%d', math.floor(now / 1000))
  redis.call('HINCRBY', KEYS[1], second, tokens)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 2000)
end
if cost > 0 then
  if seed > 0 and redis.call('EXISTS', KEYS[3]) == 0 then
    redis.call('SET', KEYS[3], ARGV[6])
  end
  redis.call('INCRBYFLOAT', KEYS[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
end
return 1
