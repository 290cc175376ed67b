-- Every checkout names the same two products, in either order (the realistic fast-food
-- case: all orders touch the same hot stock rows).
local burger = "00000000-0000-4000-8000-00000000a001"
local fries = "00000000-0000-4000-8000-00000000b002"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  local first, second = burger, fries
  if math.random(2) == 1 then first, second = fries, burger end
  local body = string.format(
    '{"itens":[{"produto_id":"%s","quantidade":1},{"produto_id":"%s","quantidade":1}]}',
    first, second)
  return wrk.format(nil, "/v1/api/pedidos", nil, body)
end
