-- GET with the admin token when BENCH_TOKEN is set (kitchen list); the path comes from the
-- command line.
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
