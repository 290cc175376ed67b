-- Checkouts of two distinct products drawn from 200: little lock contention.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local function product(n)
  return string.format("00000000-0000-4000-8000-%012x", n)
end

request = function()
  local a = math.random(200)
  local b = math.random(199)
  if b >= a then b = b + 1 end
  local body = string.format(
    '{"itens":[{"produto_id":"%s","quantidade":1},{"produto_id":"%s","quantidade":1}]}',
    product(a), product(b))
  return wrk.format(nil, "/v1/api/pedidos", nil, body)
end
