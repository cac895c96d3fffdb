-- Admission: check every limit of one key and, if all pass, count the request
-- (spec: limits). Called by redis-store.ts with EVALSHA; mirrors limiter.ts decide().
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3])
local tpm = tonumber(ARGV[4])
local conc = tonumber(ARGV[5])
local budget = tonumber(ARGV[6])
local seed = tonumber(ARGV[7])

local requests, requestsRetry, requestsReset = 0, 0, 0
if rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  requests = redis.call('ZCARD', KEYS[1])
  if requests > 0 then
    local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
    requestsReset = tonumber(newest[2]) + window - now
    if requests >= rpm then
      local freeing = redis.call('ZRANGE', KEYS[1], requests - rpm, requests - rpm, 'WITHSCORES')
      requestsRetry = tonumber(freeing[2]) + window - now
    end
  end
end

local tokens, tokensRetry, tokensReset = 0, 0, 0
if tpm >= 0 then
  local flat = redis.call('HGETALL', KEYS[2])
  local live = {}
  for i = 1, #flat, 2 do
    local expiry = (tonumber(flat[i]) + 1) * 1000 + window
    if expiry <= now then
      redis.call('HDEL', KEYS[2], flat[i])
    else
      local n = tonumber(flat[i + 1])
      tokens = tokens + n
      live[#live + 1] = { expiry, n }
      if expiry - now > tokensReset then tokensReset = expiry - now end
    end
  end
  if tokens >= tpm then
    table.sort(live, function(a, b) return a[1] < b[1] end)
    local left = tokens
    for _, bucket in ipairs(live) do
      left = left - bucket[2]
      if left < tpm then
        tokensRetry = bucket[1] - now
        break
      end
    end
  end
end

local inflight = 0
if conc >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  inflight = redis.call('ZCARD', KEYS[3])
end

local spent = 0
if budget >= 0 then
  local value = redis.call('GET', KEYS[4])
  if value then
    spent = tonumber(value)
  elseif seed > 0 then
    redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[8])
    spent = seed
  end
end

local admitted = 1
if budget >= 0 and spent >= budget then admitted = 0 end
if tpm >= 0 and tokens >= tpm then admitted = 0 end
if rpm >= 0 and requests >= rpm then admitted = 0 end
if conc >= 0 and inflight >= conc then admitted = 0 end

if admitted == 1 then
  if rpm >= 0 then
    redis.call('ZADD', KEYS[1], now, ARGV[9])
    redis.call('PEXPIRE', KEYS[1], window + 1000)
  end
  if conc >= 0 then
    redis.call('ZADD', KEYS[3], ARGV[10], ARGV[9])
    redis.call('PEXPIRE', KEYS[3], ARGV[11])
  end
end

return { admitted, requests, tostring(requestsRetry), tostring(requestsReset),
  tokens, tostring(tokensRetry), tostring(tokensReset), inflight, string.format('%.17g', spent) }
